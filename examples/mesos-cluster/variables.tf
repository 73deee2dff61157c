variable "datacenter" {
  description = "CloudControl datacenter (MCP 2.0) the cluster is deployed in."
  type        = string
  default     = "NA9"
}

variable "image_name" {
  description = "Name of the OS image every node is deployed from (an EL 8 image: the provisioner installs Docker from its yum repository)."
  type        = string
  default     = "Rocky Linux 8 64-bit 2 CPU"
}

variable "admin_password" {
  description = "Root password set on every node at deployment (guest customisation). The provisioner needs it once, for first contact, and reads it from admin_password_file."
  type        = string
  sensitive   = true
}

variable "admin_password_file" {
  description = "Root-only file (chmod 600) holding the same administrator password, for the provisioner's first contact with each node. A file, because Terraform hides all output of a provisioner whose configuration holds a sensitive value, and a secret never goes on a command line. Null: the provisioner reads CLOUDCONTROL_ADMIN_PASSWORD from Terraform's environment instead."
  type        = string
  default     = null
}

variable "name_prefix" {
  description = "Prefix of the network domain and VLAN names, and the Mesos cluster's name."
  type        = string
  default     = "mesos"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,39}$", var.name_prefix))
    error_message = "The name_prefix must start with a letter and hold only lower-case letters, digits and hyphens (at most 40 characters)."
  }
}

variable "master_count" {
  description = "Number of Mesos masters (ZooKeeper quorum): an odd number."
  type        = number
  default     = 3

  validation {
    condition     = contains(["1", "3", "5", "7"], tostring(var.master_count))
    error_message = "The master_count must be 1, 3, 5 or 7: a ZooKeeper quorum needs an odd number of masters."
  }
}

variable "agent_count" {
  description = "Number of Mesos agents."
  type        = number
  default     = 9

  validation {
    condition     = var.agent_count >= 1 && var.agent_count <= 200 && can(regex("^[0-9]+$", tostring(var.agent_count)))
    error_message = "The agent_count must be a whole number between 1 and 200 (the addresses come from one /24 VLAN)."
  }
}

variable "cpu_count" {
  description = "CPUs of every node."
  type        = number
  default     = 2

  validation {
    condition     = var.cpu_count >= 1 && var.cpu_count <= 32 && can(regex("^[0-9]+$", tostring(var.cpu_count)))
    error_message = "The cpu_count must be a whole number between 1 and 32 (the datacenter's limit)."
  }
}

variable "memory_gb" {
  description = "Memory of every node in GB."
  type        = number
  default     = 8

  validation {
    condition     = var.memory_gb >= 1 && var.memory_gb <= 256 && can(regex("^[0-9]+$", tostring(var.memory_gb)))
    error_message = "The memory_gb must be a whole number between 1 and 256 (the datacenter's limits)."
  }
}

variable "data_disk_gb" {
  description = "Size of the extra disk of every node in GB; the provisioner adds it to the root volume group."
  type        = number
  default     = 50

  validation {
    condition     = var.data_disk_gb >= 10 && var.data_disk_gb <= 1000 && can(regex("^[0-9]+$", tostring(var.data_disk_gb)))
    error_message = "The data_disk_gb must be a whole number between 10 and 1000 (the datacenter's disk size limits)."
  }
}

variable "monitoring_plan" {
  description = "CloudControl monitoring plan of every server, for the platform's real-time dashboard: ESSENTIALS, ADVANCED or NONE."
  type        = string
  default     = "ESSENTIALS"

  validation {
    condition     = contains(["ESSENTIALS", "ADVANCED", "NONE"], var.monitoring_plan)
    error_message = "The monitoring_plan must be ESSENTIALS, ADVANCED or NONE."
  }
}

variable "vlan_ipv4_base_address" {
  description = "Network address of the cluster's /24 VLAN. Masters get .11 upwards, agents .21 upwards."
  type        = string
  default     = "10.0.0.0"

  validation {
    condition     = can(cidrhost("${var.vlan_ipv4_base_address}/24", 0)) && can(regex("^[0-9]+[.][0-9]+[.][0-9]+[.]0$", var.vlan_ipv4_base_address))
    error_message = "The vlan_ipv4_base_address must be the network address of a /24 (an IPv4 address ending in .0), e.g. 10.0.0.0."
  }
}

variable "allowed_cidr" {
  description = "IPv4 network (CIDR) allowed to reach SSH on every node and the Mesos (5050) and Marathon (8080) UIs on the masters. Narrow it to your own network."
  type        = string
  default     = "0.0.0.0/0"

  validation {
    condition     = can(cidrhost(var.allowed_cidr, 0)) && !can(regex(":", var.allowed_cidr))
    error_message = "The allowed_cidr must be an IPv4 network in CIDR notation, e.g. 198.51.100.0/24."
  }
}

variable "ssh_user" {
  description = "Operator user the provisioner creates on every node and logs in as afterwards."
  type        = string
  default     = "ops"

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_-]{0,31}$", var.ssh_user)) && !contains(["root", "daemon", "bin", "sys", "nobody", "operator"], var.ssh_user)
    error_message = "The ssh_user must be a new login name ([a-z_][a-z0-9_-], at most 32 characters), not root or a system account."
  }
}

variable "ssh_private_key_file" {
  description = "Operator's private key (ed25519 or RSA, unencrypted). Created with ssh-keygen when it does not exist yet (its .pub beside it). Relative paths are relative to the Terraform working directory."
  type        = string
  default     = "mesos-provisioner/id_ed25519"
}

variable "provision" {
  description = "Provision the nodes (Docker, ZooKeeper, Mesos, Marathon) with mesos-provisioner and submit the sample apps. False: infrastructure only."
  type        = bool
  default     = true
}

variable "provisioner" {
  description = "The mesos-provisioner command (on PATH, or a path)."
  type        = string
  default     = "mesos-provisioner"
}

variable "provisioner_dir" {
  description = "Where the provisioning keeps its files: settings.toml, the inventory cluster.toml, known_hosts and per-node logs. Relative paths are relative to the Terraform working directory."
  type        = string
  default     = "mesos-provisioner"

  validation {
    condition     = length(var.provisioner_dir) > 0 && !can(regex("'", var.provisioner_dir))
    error_message = "The provisioner_dir must be a non-empty path without single quotes."
  }
}

variable "package_source" {
  description = "Where nodes get Docker, ZooKeeper, Mesos and Marathon: \"upstream\" (Docker CE and aventer's repositories, for the EL 8 image on CloudControl) or \"node\" (the repositories the node already has: Debian's docker.io and ZooKeeper and the Mesos/Marathon packages the node's sources offer, e.g. the emulator's node-backed test nodes)."
  type        = string
  default     = "upstream"

  validation {
    condition     = contains(["upstream", "node"], var.package_source)
    error_message = "The package_source must be \"upstream\" or \"node\"."
  }
}

variable "docker_registry_mirror" {
  description = "Registry mirror for the nodes' Docker (daemon.json registry-mirrors), e.g. http://100.96.0.1:5000 for the node-backed emulator's registry. Empty: none."
  type        = string
  default     = ""

  validation {
    condition     = var.docker_registry_mirror == "" || can(regex("^https?://[^\\s\"']+$", var.docker_registry_mirror))
    error_message = "The docker_registry_mirror must be empty or an http(s) URL."
  }
}

variable "time_servers" {
  description = "NTP servers of every node (chrony)."
  type        = list(string)
  default     = ["0.pool.ntp.org", "1.pool.ntp.org"]
}

variable "os_update" {
  description = "Operating system updates at provisioning: security, all or off."
  type        = string
  default     = "security"

  validation {
    condition     = contains(["security", "all", "off"], var.os_update)
    error_message = "The os_update must be security, all or off."
  }
}

variable "connect_timeout" {
  description = "Seconds the provisioner keeps retrying SSH to a node before it reports the node unreachable (a missing firewall rule for TCP 22 ends there)."
  type        = number
  default     = 300

  validation {
    condition     = var.connect_timeout >= 5 && var.connect_timeout <= 3600
    error_message = "The connect_timeout must be between 5 and 3600 seconds."
  }
}

variable "wait_timeout" {
  description = "Seconds every wait for the cluster may take (ZooKeeper quorum, an elected Mesos master, an agent's registration, an app's deployment)."
  type        = number
  default     = 600

  validation {
    condition     = var.wait_timeout >= 30 && var.wait_timeout <= 7200
    error_message = "The wait_timeout must be between 30 and 7200 seconds."
  }
}
