# The default profile that keeps a client on one pool member by its source address.
data "cloudcontrol_vip_persistence_profile" "source_address" {
  network_domain_id = data.cloudcontrol_network_domain.shared.id
  name              = "CCDEFAULT.SourceAddress"
}

output "source_address_profile_fits" {
  value = [for c in data.cloudcontrol_vip_persistence_profile.source_address.compatible_listeners : "${c.type}/${c.protocol}"]
}
