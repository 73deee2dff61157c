# A block of two public IPv4 addresses in the network domain, used by NAT rules.
resource "cloudcontrol_public_ip_block" "web" {
  network_domain_id = cloudcontrol_network_domain.main.id
}

output "public_ip_block" {
  value = "${cloudcontrol_public_ip_block.web.base_ip} (${cloudcontrol_public_ip_block.web.size} addresses)"
}
