# HTTPS from anywhere to the web server's public address.
resource "cloudcontrol_firewall_rule" "web_https" {
  network_domain_id = cloudcontrol_network_domain.main.id
  name              = "web_https"
  action            = "ACCEPT_DECISIVELY"
  ip_version        = "IPV4"
  protocol          = "TCP"
  placement         = "FIRST"

  source {
    ip = "any"
  }

  destination {
    ip   = cloudcontrol_nat_rule.web.external_ipv4
    port = 443
  }
}

# SSH from the office network only, kept disabled until needed.
resource "cloudcontrol_firewall_rule" "web_ssh" {
  network_domain_id = cloudcontrol_network_domain.main.id
  name              = "web_ssh"
  protocol          = "TCP"
  enabled           = false

  source {
    ip          = "198.51.100.0"
    prefix_size = 24
  }

  destination {
    ip   = cloudcontrol_nat_rule.web.external_ipv4
    port = 22
  }
}

# Mesos and Marathon from the administrators' addresses to every master: one rule on an IP
# address list and a port list instead of one rule per address and port.
resource "cloudcontrol_firewall_rule" "masters_in" {
  network_domain_id = cloudcontrol_network_domain.main.id
  name              = "masters_in"
  protocol          = "TCP"

  source {
    address_list_id = cloudcontrol_address_list.admins.id
  }

  destination {
    address_list_id = cloudcontrol_address_list.masters.id
    port_list_id    = cloudcontrol_port_list.masters.id
  }
}
