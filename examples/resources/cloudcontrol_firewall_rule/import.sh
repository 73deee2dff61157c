# A firewall rule is imported by its id.
terraform import cloudcontrol_firewall_rule.web_ssh 4f1f2a45-04a9-4a6f-a1a4-2b7bff3d0c6e

# The API cannot report where a rule was placed, nor whether the configuration writes a scope of
# any address and any port as a block (`source { ip = "any" }`) or leaves the block out (how an
# import reads it). When the configuration sets `placement` (and `relative_to_rule`) or writes
# such a block, say so after the id so the first plan after the import is empty:
#   <id>[,placement=FIRST|LAST|BEFORE|AFTER][,relative_to_rule=<rule name>][,source=any][,destination=any]
terraform import cloudcontrol_firewall_rule.web_https 9a0c8f3e-5b8d-4e55-9f0e-6c1d2b7a4e10,placement=FIRST,source=any
# Imported by the id alone, such a rule's first plan shows an in-place update that only records
# the placement (or the block) in state, without calling the API.

# A rule built on an IP address list or a port list imports like any other: its source or
# destination reads back with `address_list_id` / `port_list_id`.
