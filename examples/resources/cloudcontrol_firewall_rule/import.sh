# A firewall rule is imported by its id.
terraform import cloudcontrol_firewall_rule.web_https 4f1f2a45-04a9-4a6f-a1a4-2b7bff3d0c6e
