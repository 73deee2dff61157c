# One stable public address for Marathon and one for Mesos, each forwarding to the masters that
# pass an HTTP health check. A client keeps its URL when the master it used goes down: a standby
# Marathon proxies to the leader and a standby Mesos master redirects to it.

locals {
  # What the load balancer serves on the masters, by name: the port, on the listener and the
  # masters alike.
  master_services = { marathon = 8080, mesos = 5050 }

  # One pool member per service and master.
  master_members = {
    for pair in setproduct(keys(local.master_services), local.master_names) :
    "${pair[0]}-${pair[1]}" => { service = pair[0], master = pair[1] }
  }
}

data "cloudcontrol_vip_health_monitor" "http" {
  network_domain_id = cloudcontrol_network_domain.cluster.id
  name              = "CCDEFAULT.Http"
}

# Each master as a load-balancer node, on its private address.
resource "cloudcontrol_vip_node" "master" {
  for_each = toset(local.master_names)

  network_domain_id = cloudcontrol_network_domain.cluster.id
  name              = "${var.name_prefix}-${each.key}"
  description       = "Mesos master ${each.key}"
  ipv4_address      = cloudcontrol_server.node[each.key].primary_ipv4
}

# A pool per service; a member that stops answering HTTP gets no new connections.
resource "cloudcontrol_vip_pool" "master" {
  for_each = local.master_services

  network_domain_id   = cloudcontrol_network_domain.cluster.id
  name                = "${var.name_prefix}-${each.key}"
  description         = "${each.key} on every master"
  load_balance_method = "ROUND_ROBIN"
  health_monitor_ids  = [data.cloudcontrol_vip_health_monitor.http.id]
  service_down_action = "RESELECT"
}

resource "cloudcontrol_vip_pool_member" "master" {
  for_each = local.master_members

  pool_id = cloudcontrol_vip_pool.master[each.value.service].id
  node_id = cloudcontrol_vip_node.master[each.value.master].id
  port    = local.master_services[each.value.service]
}

# The stable entry points, on addresses of the domain's public IP blocks. The masters' address
# list includes them, so the masters' firewall rule opens them to allowed_cidr.
resource "cloudcontrol_virtual_listener" "master" {
  for_each = local.master_services

  network_domain_id    = cloudcontrol_network_domain.cluster.id
  name                 = "${var.name_prefix}-${each.key}"
  description          = "${each.key} on a live master"
  protocol             = "TCP"
  optimization_profile = "TCP"
  port                 = each.value
  pool_id              = cloudcontrol_vip_pool.master[each.key].id

  # The address comes from the blocks.
  depends_on = [cloudcontrol_public_ip_block.cluster]
}
