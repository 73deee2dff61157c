resource "cloudcontrol_vlan" "app" {
  network_domain_id  = cloudcontrol_network_domain.main.id
  name               = "app"
  description        = "Application servers"
  ipv4_base_address  = "10.0.1.0"
  ipv4_prefix_size   = 24
  gateway_addressing = "LOW"
}
