# The web node in the web pool, on port 80. Leave `port` unset for "any port": connections then
# go to the port they came in on.
resource "cloudcontrol_vip_pool_member" "web_http" {
  pool_id = cloudcontrol_vip_pool.web.id
  node_id = cloudcontrol_vip_node.web.id
  port    = 80
}
