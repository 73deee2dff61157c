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

  # One firewall rule per node and TCP port reachable from allowed_cidr.
  role_ports = {
    master = [22, 5050, 8080]
    agent  = [22]
  }
  firewall_openings = merge([
    for name, node in local.nodes : {
      for port in local.role_ports[node.role] : "${name}_tcp_${port}" => { node = name, port = port }
    }
  ]...)

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
  type        = "ESSENTIALS"
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

# Blocks of two public IPv4 addresses, one address per node. The API allows at most three public
# addresses per deployed server in a domain, so the blocks wait for the servers.
resource "cloudcontrol_public_ip_block" "cluster" {
  count = ceil(length(local.nodes) / 2)

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

resource "cloudcontrol_firewall_rule" "inbound" {
  for_each = local.firewall_openings

  network_domain_id = cloudcontrol_network_domain.cluster.id
  name              = each.key
  action            = "ACCEPT_DECISIVELY"
  ip_version        = "IPV4"
  protocol          = "TCP"

  source {
    ip          = local.allowed_prefix == 0 ? "any" : local.allowed_ip
    prefix_size = local.allowed_prefix == 0 || local.allowed_prefix == 32 ? null : local.allowed_prefix
  }

  destination {
    ip   = cloudcontrol_nat_rule.node[each.value.node].external_ipv4
    port = each.value.port
  }
}
