# A network domain managed elsewhere, looked up by name in its datacenter.
data "cloudcontrol_network_domain" "shared" {
  name       = "shared-services"
  datacenter = "NA9"
}

output "shared_domain_nat_address" {
  value = data.cloudcontrol_network_domain.shared.nat_ipv4_address
}
