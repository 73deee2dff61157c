# A default iRule looked up by name, for a virtual listener's `irule_ids`.
data "cloudcontrol_vip_irule" "ips" {
  network_domain_id = data.cloudcontrol_network_domain.shared.id
  name              = "CCDEFAULT.Ips"
}

output "ips_irule_id" {
  value = data.cloudcontrol_vip_irule.ips.id
}
