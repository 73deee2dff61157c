# The web server as a load-balancer node, watched with ICMP echo (the only node-compatible
# default monitor). The load balancer needs an ADVANCED (or ENTERPRISE) network domain.
data "cloudcontrol_vip_health_monitor" "icmp" {
  network_domain_id = cloudcontrol_network_domain.main.id
  name              = "CCDEFAULT.Icmp"
}

resource "cloudcontrol_vip_node" "web" {
  network_domain_id     = cloudcontrol_network_domain.main.id
  name                  = "web1"
  description           = "Web front end"
  ipv4_address          = cloudcontrol_server.web.primary_ipv4
  health_monitor_id     = data.cloudcontrol_vip_health_monitor.icmp.id
  connection_limit      = 20000
  connection_rate_limit = 2000
}
