# The networks administrators work from.
resource "cloudcontrol_address_list" "admins" {
  network_domain_id = cloudcontrol_network_domain.main.id
  name              = "admins"
  description       = "office and VPN"

  address {
    begin       = "198.51.100.0"
    prefix_size = 24
  }

  address {
    begin = "203.0.113.10"
    end   = "203.0.113.19"
  }
}

# The web server's public address, plus everything in `admins` (lists nest; a list cannot
# include itself, directly or through others).
resource "cloudcontrol_address_list" "masters" {
  network_domain_id = cloudcontrol_network_domain.main.id
  name              = "masters"

  address {
    begin = cloudcontrol_nat_rule.web.external_ipv4
  }

  child_list_ids = [cloudcontrol_address_list.admins.id]
}
