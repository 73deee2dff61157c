resource "cloudcontrol_network_domain" "main" {
  name        = "production"
  description = "Production workloads"
  type        = "ADVANCED" # the load balancer and anti-affinity need ADVANCED (or ENTERPRISE)
  datacenter  = "NA9"
}
