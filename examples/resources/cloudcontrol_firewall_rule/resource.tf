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
