output "network_domain_id" {
  description = "Id of the cluster's network domain."
  value       = cloudcontrol_network_domain.cluster.id
}

output "nodes" {
  description = "Every node by name: role, private IPv4 and IPv6 addresses, public IPv4 address."
  value = {
    for name in local.node_names : name => {
      role         = local.nodes[name].role
      private_ipv4 = cloudcontrol_server.node[name].primary_ipv4
      private_ipv6 = cloudcontrol_server.node[name].primary_ipv6
      public_ipv4  = cloudcontrol_nat_rule.node[name].external_ipv4
    }
  }
}

locals {
  # One [[nodes]] table per node, masters first: SSH over the public address, /etc/hosts with
  # the private ones.
  inventory_nodes = join("", [for name in local.node_names : <<-EOT

    [[nodes]]
    name = ${jsonencode(name)}
    address = ${jsonencode(cloudcontrol_nat_rule.node[name].external_ipv4)}
    private_ipv4 = ${jsonencode(cloudcontrol_server.node[name].primary_ipv4)}
    ipv6 = ${jsonencode(cloudcontrol_server.node[name].primary_ipv6)}
    role = ${jsonencode(local.nodes[name].role)}
    %{if local.nodes[name].zk_id != null}zk_id = ${local.nodes[name].zk_id}%{endif}
    EOT
  ])
}

# The inventory mesos-provisioner converges the cluster from (format: provisioner/README.md).
# `terraform output -raw provisioner_inventory > cluster.toml`. Strings go through jsonencode,
# whose quoting is valid TOML.
output "provisioner_inventory" {
  description = "mesos-provisioner inventory (TOML) of the cluster: SSH over the public addresses, /etc/hosts with the private ones."
  value       = <<-EOT
    # mesos-provisioner inventory rendered by Terraform from examples/mesos-cluster.
    # First contact: root with the administrator password (--admin-password-file), then the operator key.

    [ssh]
    user = ${jsonencode(var.ssh_user)}
    private_key = ${jsonencode(var.ssh_private_key_file)}
    host_key_policy = "accept-new"
    connect_timeout_secs = 300

    [run]
    forks = ${length(local.node_names)}

    [base]
    os_update = "security"
    time_servers = ["0.pool.ntp.org", "1.pool.ntp.org"]
    lvm_disk = "auto"

    [docker]
    packages = ["docker-ce", "docker-ce-cli", "containerd.io"]
    service = "docker"
    start = true

    [docker.yum]
    baseurl = "https://download.docker.com/linux/centos/$releasever/$basearch/stable"
    gpgkey = "https://download.docker.com/linux/centos/gpg"
    gpgcheck = true

    [packages]
    # ZooKeeper, Mesos and Marathon for EL 8 (provisioner/README.md, "Package sources").
    preset = "aventer"
    ${local.inventory_nodes}
  EOT
}
