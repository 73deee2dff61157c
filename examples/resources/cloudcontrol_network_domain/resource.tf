resource "cloudcontrol_network_domain" "main" {
  name        = "production"
  description = "Production workloads"
  type        = "ESSENTIALS"
  datacenter  = "NA9"
}
