# A standby for the web server, kept on another host than `web`, so one host failure takes at
# most one of them. Both servers must be in one ADVANCED (or ENTERPRISE) network domain, and a
# server can be in one rule at a time: of three masters, one pair can be kept apart, not all three.
resource "cloudcontrol_server" "web_standby" {
  name              = "web2"
  network_domain_id = cloudcontrol_network_domain.main.id
  image_id          = data.cloudcontrol_image.rocky8.id
  admin_password    = var.admin_password

  primary_nic {
    vlan_id = cloudcontrol_vlan.app.id
  }
}

resource "cloudcontrol_server_anti_affinity" "web" {
  server_ids = [cloudcontrol_server.web.id, cloudcontrol_server.web_standby.id]
}
