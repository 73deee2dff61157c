# A VLAN looked up by name in a network domain.
data "cloudcontrol_vlan" "backend" {
  name              = "backend"
  network_domain_id = data.cloudcontrol_network_domain.shared.id
}

output "backend_network" {
  value = "${data.cloudcontrol_vlan.backend.ipv4_base_address}/${data.cloudcontrol_vlan.backend.ipv4_prefix_size} via ${data.cloudcontrol_vlan.backend.ipv4_gateway}"
}
