# A pool for the web servers: new connections go to the member with the fewest, members are
# checked over HTTP, and connections of a member that goes down are sent to another.
data "cloudcontrol_vip_health_monitor" "http" {
  network_domain_id = cloudcontrol_network_domain.main.id
  name              = "CCDEFAULT.Http"
}

resource "cloudcontrol_vip_pool" "web" {
  network_domain_id   = cloudcontrol_network_domain.main.id
  name                = "web"
  description         = "Web front ends"
  load_balance_method = "LEAST_CONNECTIONS_MEMBER"
  health_monitor_ids  = [data.cloudcontrol_vip_health_monitor.http.id]
  service_down_action = "RESELECT"
  slow_ramp_time      = 30
}
