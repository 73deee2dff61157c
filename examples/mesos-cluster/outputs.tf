output "marathon_url" {
  description = "Marathon UI and API on its stable address: the load balancer forwards to a master that answers (a standby proxies to the leader)."
  value       = "http://${cloudcontrol_virtual_listener.master["marathon"].listener_ip_address}:8080"
}

output "mesos_url" {
  description = "Mesos UI and API on its stable address: the load balancer forwards to a master that answers (a standby redirects to the leader)."
  value       = "http://${cloudcontrol_virtual_listener.master["mesos"].listener_ip_address}:5050"
}

output "network_domain_id" {
  description = "Id of the cluster's network domain."
  value       = cloudcontrol_network_domain.cluster.id
}

output "mesos_urls" {
  description = "Mesos on every master."
  value       = [for name in local.master_names : "http://${local.cluster[name].public_ipv4}:5050"]
}

output "marathon_urls" {
  description = "Marathon on every master."
  value       = [for name in local.master_names : "http://${local.cluster[name].public_ipv4}:8080"]
}

output "nodes" {
  description = "Every node by name: role, private IPv4 and IPv6 addresses, public IPv4 address, the ssh command that logs in as the operator, and the mesos-provisioner command that re-bootstraps it (as the apply ran it)."
  value = {
    for name in local.node_names : name => {
      role         = local.cluster[name].role
      private_ipv4 = local.cluster[name].private_ipv4
      private_ipv6 = local.cluster[name].ipv6
      public_ipv4  = local.cluster[name].public_ipv4
      ssh          = "ssh -i '${local.private_key}' -o UserKnownHostsFile='${local.known_hosts}' ${var.ssh_user}@${local.cluster[name].public_ipv4}"
      bootstrap    = local.bootstrap[name]
    }
  }
}

output "check_health" {
  description = "The command that reports the cluster's health (ZooKeeper, Mesos, agents, Marathon and its apps, every node's services)."
  value       = "${local.provisioner_command} check-health -i '${local.inventory_file}'"
}

output "provisioner_inventory_file" {
  description = "The mesos-provisioner inventory the apply wrote (settings.toml beside it holds the same tables without [[nodes]])."
  value       = local.inventory_file
}

# The inventory mesos-provisioner reads (format: provisioner/README.md), e.g. for `converge` of
# the whole cluster at once: `terraform output -raw provisioner_inventory > cluster.toml`.
output "provisioner_inventory" {
  description = "mesos-provisioner inventory (TOML) of the cluster: SSH over the public addresses, /etc/hosts with the private ones."
  value       = local.inventory
}
