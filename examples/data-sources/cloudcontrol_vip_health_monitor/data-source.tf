# The HTTP health monitor of a network domain, for load-balancer pools.
data "cloudcontrol_vip_health_monitor" "http" {
  network_domain_id = data.cloudcontrol_network_domain.shared.id
  name              = "CCDEFAULT.Http"
}

output "http_monitor_fits_pools" {
  value = data.cloudcontrol_vip_health_monitor.http.pool_compatible
}
