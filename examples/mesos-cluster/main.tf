locals {
  vlan_cidr = "${var.vlan_ipv4_base_address}/24"

  master_names = [for i in range(var.master_count) : "master${i + 1}"]
  agent_names  = [for i in range(var.agent_count) : "agent${i + 1}"]
  node_names   = concat(local.master_names, local.agent_names)

  # Every node with its role, fixed private address and (masters) ZooKeeper id.
  nodes = merge(
    { for i, name in local.master_names : name => { role = "master", private_ipv4 = cidrhost(local.vlan_cidr, 11 + i), zk_id = i + 1 } },
    { for i, name in local.agent_names : name => { role = "agent", private_ipv4 = cidrhost(local.vlan_cidr, 21 + i), zk_id = null } },
  )

  # The nodes the firewall opens to allowed_cidr, with their roles: each role's public
  # addresses form one IP address list, and one rule per role opens its ports.
  reachable = { for name, node in local.nodes : name => node.role }

  allowed_ip     = split("/", var.allowed_cidr)[0]
  allowed_prefix = tonumber(split("/", var.allowed_cidr)[1])

  # The extra disk goes on the first SCSI id after the image's disks.
  data_disk_scsiid = max(data.cloudcontrol_image.os.disks[*].scsi_id...) + 1
}

data "cloudcontrol_image" "os" {
  name       = var.image_name
  datacenter = var.datacenter
}

resource "cloudcontrol_network_domain" "cluster" {
  name        = "${var.name_prefix}-cluster"
  description = "Mesos cluster: ${var.master_count} masters, ${var.agent_count} agents"
  # ADVANCED: server anti-affinity needs it
  type        = "ADVANCED"
  datacenter  = var.datacenter
}

resource "cloudcontrol_vlan" "cluster" {
  network_domain_id  = cloudcontrol_network_domain.cluster.id
  name               = "${var.name_prefix}-nodes"
  description        = "Mesos masters and agents"
  ipv4_base_address  = var.vlan_ipv4_base_address
  ipv4_prefix_size   = 24
  gateway_addressing = "LOW"
}

resource "cloudcontrol_server" "node" {
  for_each = local.nodes

  name              = each.key
  description       = "Mesos ${each.value.role}"
  network_domain_id = cloudcontrol_network_domain.cluster.id
  image_id          = data.cloudcontrol_image.os.id
  admin_password    = var.admin_password
  cpu_count         = var.cpu_count
  memory_gb         = var.memory_gb
  # the platform's monitoring (its real-time dashboard of every node)
  monitoring_plan = var.monitoring_plan == "NONE" ? null : var.monitoring_plan

  # Growing the data disk later needs the power-off/on cycle the API requires.
  allow_reboot = true

  primary_nic {
    vlan_id      = cloudcontrol_vlan.cluster.id
    private_ipv4 = each.value.private_ipv4
  }

  # The image's disks come with it (all_disks lists them); this adds the extra disk the
  # provisioner's LVM step adds to the root volume group.
  disk {
    scsi_id = local.data_disk_scsiid
    size_gb = var.data_disk_gb
  }
}

# Blocks of two public IPv4 addresses: one address per node and one per load-balancer listener
# (load_balancer.tf). The API allows at most three public addresses per deployed server in a
# domain, so the blocks wait for the servers.
resource "cloudcontrol_public_ip_block" "cluster" {
  count = ceil((length(local.nodes) + length(local.master_services)) / 2)

  network_domain_id = cloudcontrol_network_domain.cluster.id

  depends_on = [cloudcontrol_server.node]
}

# One public address per node; the API picks a free address of the blocks above.
resource "cloudcontrol_nat_rule" "node" {
  for_each = local.nodes

  network_domain_id = cloudcontrol_network_domain.cluster.id
  internal_ipv4     = cloudcontrol_server.node[each.key].primary_ipv4

  depends_on = [cloudcontrol_public_ip_block.cluster]
}

# The public addresses of each role's reachable nodes (and, for the masters, of the load
# balancer's listeners).
resource "cloudcontrol_address_list" "role" {
  for_each = toset(["master", "agent"])

  network_domain_id = cloudcontrol_network_domain.cluster.id
  name              = "${var.name_prefix}-${each.key}s"
  description       = "Public addresses of the Mesos ${each.key}s"

  dynamic "address" {
    for_each = concat(
      [for name, role in local.reachable : cloudcontrol_nat_rule.node[name].external_ipv4 if role == each.key],
      # the masters' services on their stable addresses
      each.key == "master" ? [for listener in cloudcontrol_virtual_listener.master : listener.listener_ip_address] : [],
    )
    content {
      begin = address.value
    }
  }
}

# What a master serves: SSH, Mesos (5050) and Marathon (8080).
resource "cloudcontrol_port_list" "master" {
  network_domain_id = cloudcontrol_network_domain.cluster.id
  name              = "${var.name_prefix}-master-ports"
  description       = "SSH, Mesos and Marathon"

  port {
    begin = 22
  }
  port {
    begin = 5050
  }
  port {
    begin = 8080
  }
}

# One rule per role from allowed_cidr: the masters' ports to the masters, SSH to the agents.
resource "cloudcontrol_firewall_rule" "inbound" {
  for_each = cloudcontrol_address_list.role

  network_domain_id = cloudcontrol_network_domain.cluster.id
  name              = "${each.key}s_in"
  action            = "ACCEPT_DECISIVELY"
  ip_version        = "IPV4"
  protocol          = "TCP"

  source {
    ip          = local.allowed_prefix == 0 ? "any" : local.allowed_ip
    prefix_size = local.allowed_prefix == 0 || local.allowed_prefix == 32 ? null : local.allowed_prefix
  }

  destination {
    address_list_id = each.value.id
    port_list_id    = each.key == "master" ? cloudcontrol_port_list.master.id : null
    port            = each.key == "agent" ? 22 : null
  }
}

# Two masters on different hosts, so one host failure cannot take both. The platform allows a
# server in one anti-affinity rule only, so of three or more masters one pair is kept apart.
resource "cloudcontrol_server_anti_affinity" "masters" {
  count = var.master_count >= 2 ? 1 : 0

  server_ids = [cloudcontrol_server.node["master1"].id, cloudcontrol_server.node["master2"].id]
}
