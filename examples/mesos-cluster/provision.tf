# Provisioning: one mesos-provisioner process per node (`bootstrap`), run by a null_resource with
# local-exec. The masters go first (together: each waits for its ZooKeeper quorum), the agents
# after them (each waits for a leading Mesos master), then the sample apps are submitted once.
# The administrator password reaches the provisioner through a file (or the environment), never
# its command line: Terraform would also hide every line of a provisioner whose configuration
# holds a sensitive value.

locals {
  work           = abspath(pathexpand(var.provisioner_dir))
  settings_file  = "${local.work}/settings.toml"
  inventory_file = "${local.work}/cluster.toml"
  known_hosts    = "${local.work}/known_hosts"
  log_dir        = "${local.work}/logs"
  private_key    = abspath(pathexpand(var.ssh_private_key_file))
  password_file  = var.admin_password_file == null ? null : abspath(pathexpand(var.admin_password_file))

  # Every node as the provisioner sees it.
  cluster = {
    for name in local.node_names : name => {
      role         = local.nodes[name].role
      zk_id        = local.nodes[name].zk_id
      private_ipv4 = cloudcontrol_server.node[name].primary_ipv4
      ipv6         = cloudcontrol_server.node[name].primary_ipv6
      public_ipv4  = cloudcontrol_nat_rule.node[name].external_ipv4
    }
  }

  # What every node's /etc/hosts and cluster view hold: when it changes, every node's bootstrap
  # runs again (and changes only that).
  membership = sha256(jsonencode({
    for name, c in local.cluster : name => [c.role, c.zk_id, c.private_ipv4, c.ipv6, c.public_ipv4]
  }))

  # The provisioner's settings (an inventory's tables without [[nodes]]; provisioner/README.md).
  # Strings go through jsonencode, whose quoting is valid TOML.
  settings = <<-EOT
    # mesos-provisioner settings rendered by Terraform from examples/mesos-cluster.
    [ssh]
    user = ${jsonencode(var.ssh_user)}
    private_key = ${jsonencode(local.private_key)}
    known_hosts = ${jsonencode(local.known_hosts)}
    host_key_policy = "accept-new"
    connect_timeout_secs = ${var.connect_timeout}

    [run]
    forks = ${length(local.node_names)}

    [base]
    os_update = ${jsonencode(var.os_update)}
    time_servers = ${jsonencode(var.time_servers)}
    lvm_disk = "auto"

    [docker]
    packages = ${jsonencode(var.package_source == "node" ? ["docker.io"] : ["docker-ce", "docker-ce-cli", "containerd.io"])}
    service = "docker"
    start = true
    %{~if var.docker_registry_mirror != ""}
    daemon_json = ${jsonencode(jsonencode({ "registry-mirrors" = [var.docker_registry_mirror] }))}
    %{~endif}
    %{~if var.package_source == "upstream"}

    [docker.yum]
    baseurl = "https://download.docker.com/linux/centos/$releasever/$basearch/stable"
    gpgkey = "https://download.docker.com/linux/centos/gpg"
    gpgcheck = true
    %{~endif}

    [cluster]
    name = ${jsonencode(var.name_prefix)}
    wait_timeout_secs = ${var.wait_timeout}

    [packages]
    # upstream: ZooKeeper, Mesos and Marathon for EL 8 (provisioner/README.md, "Package sources");
    # node: whatever the node's configured repositories hold
    preset = ${jsonencode(var.package_source == "node" ? "debian-local" : "aventer")}
  EOT

  # One [[nodes]] table per node, masters first: SSH over the public address, /etc/hosts with
  # the private ones.
  inventory_nodes = join("", [for name in local.node_names : <<-EOT

    [[nodes]]
    name = ${jsonencode(name)}
    address = ${jsonencode(local.cluster[name].public_ipv4)}
    private_ipv4 = ${jsonencode(local.cluster[name].private_ipv4)}
    ipv6 = ${jsonencode(local.cluster[name].ipv6)}
    public_address = ${jsonencode(local.cluster[name].public_ipv4)}
    role = ${jsonencode(local.cluster[name].role)}
    %{if local.cluster[name].zk_id != null}zk_id = ${local.cluster[name].zk_id}%{endif}
    EOT
  ])
  inventory = "${local.settings}${local.inventory_nodes}"

  provisioner_command = "'${var.provisioner}'"

  # The exact command that (re-)bootstraps each node, as run below and shown in the outputs.
  bootstrap = {
    for name, c in local.cluster : name => join(" ", concat(
      [local.provisioner_command, "bootstrap", "--host", c.public_ipv4, "--name", name, "--role", c.role],
      c.zk_id == null ? [] : ["--zk-id", tostring(c.zk_id)],
      ["--private-ipv4", c.private_ipv4, "--ipv6", c.ipv6, "--public-address", c.public_ipv4],
      ["--settings", "'${local.settings_file}'", "--log-dir", "'${local.log_dir}'"],
      local.password_file == null ? [] : ["--admin-password-file", "'${local.password_file}'"],
      [
        for peer, p in local.cluster : "--peer=${peer}=${p.private_ipv4},${p.ipv6},${p.role}${p.zk_id == null ? "" : ",${p.zk_id}"}"
        if peer != name
      ],
    ))
  }

  # bootstrap's exit code 2 means "changed", which is success here
  changed_is_success = "|| { rc=$?; [ $rc -eq 2 ] || exit $rc; }"
}

# The settings, the inventory and the operator's key (made once when it does not exist).
resource "null_resource" "provisioner_files" {
  count = var.provision ? 1 : 0

  triggers = {
    settings  = sha256(local.settings)
    inventory = sha256(local.inventory)
    work      = local.work
    key       = local.private_key
  }

  provisioner "local-exec" {
    command = <<-EOT
      set -e
      umask 077
      mkdir -p "$WORK" "$(dirname "$KEY")"
      [ -f "$KEY" ] || ssh-keygen -q -t ed25519 -N '' -C mesos-operator -f "$KEY"
      printf '%s' "$SETTINGS" > "$WORK/settings.toml.tmp" && mv -f "$WORK/settings.toml.tmp" "$WORK/settings.toml"
      printf '%s' "$INVENTORY" > "$WORK/cluster.toml.tmp" && mv -f "$WORK/cluster.toml.tmp" "$WORK/cluster.toml"
      touch "$WORK/known_hosts"
    EOT
    environment = {
      WORK      = local.work
      KEY       = local.private_key
      SETTINGS  = local.settings
      INVENTORY = local.inventory
    }
  }
}

# A node's host key is trusted on first contact (accept-new) and checked on every later one. A new
# server at an address presents a new key: the old one is forgotten when its server goes.
resource "null_resource" "host_key" {
  for_each = var.provision ? local.cluster : {}

  triggers = {
    server_id   = cloudcontrol_server.node[each.key].id
    address     = each.value.public_ipv4
    known_hosts = local.known_hosts
  }

  provisioner "local-exec" {
    when    = destroy
    command = "[ ! -f \"$KNOWN_HOSTS\" ] || ssh-keygen -R \"$ADDRESS\" -f \"$KNOWN_HOSTS\" >/dev/null 2>&1 || true"
    environment = {
      ADDRESS     = self.triggers.address
      KNOWN_HOSTS = self.triggers.known_hosts
    }
  }
}

resource "null_resource" "master" {
  for_each = var.provision ? { for name, c in local.cluster : name => c if c.role == "master" } : {}

  triggers = {
    server_id  = cloudcontrol_server.node[each.key].id
    settings   = sha256(local.settings)
    membership = local.membership
  }

  provisioner "local-exec" {
    command = "${local.bootstrap[each.key]} ${local.changed_is_success}"
  }

  # SSH must be open before the provisioner knocks.
  depends_on = [null_resource.provisioner_files, null_resource.host_key, cloudcontrol_firewall_rule.inbound, cloudcontrol_address_list.role]
}

resource "null_resource" "agent" {
  for_each = var.provision ? { for name, c in local.cluster : name => c if c.role == "agent" } : {}

  triggers = {
    server_id  = cloudcontrol_server.node[each.key].id
    settings   = sha256(local.settings)
    membership = local.membership
  }

  provisioner "local-exec" {
    command = "${local.bootstrap[each.key]} ${local.changed_is_success}"
  }

  # Only once every master is provisioned: Terraform's parallelism can never hold a master back
  # behind agents waiting for a leader.
  depends_on = [null_resource.provisioner_files, null_resource.host_key, cloudcontrol_firewall_rule.inbound, cloudcontrol_address_list.role, null_resource.master]
}

# The use case's two apps (shell-hello, docker-hello), once every agent is up.
resource "null_resource" "apps" {
  count = var.provision ? 1 : 0

  triggers = {
    masters = sha256(jsonencode([for name, c in local.cluster : [name, c.public_ipv4] if c.role == "master"]))
    mirror  = var.docker_registry_mirror
  }

  provisioner "local-exec" {
    command = "${local.provisioner_command} submit-apps -i '${local.inventory_file}' --log-dir '${local.log_dir}' ${local.changed_is_success}"
  }

  depends_on = [null_resource.agent]
}
