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
  description = "Root password set on every node at deployment; the provisioner uses it once, for first contact."
  type        = string
  sensitive   = true
}

variable "name_prefix" {
  description = "Prefix of the network domain and VLAN names."
  type        = string
  default     = "mesos"
}

variable "master_count" {
  description = "Number of Mesos masters (ZooKeeper quorum): an odd number."
  type        = number
  default     = 3

  validation {
    condition     = contains([1, 3, 5, 7], var.master_count)
    error_message = "The master_count must be 1, 3, 5 or 7: a ZooKeeper quorum needs an odd number of masters."
  }
}

variable "agent_count" {
  description = "Number of Mesos agents."
  type        = number
  default     = 9

  validation {
    condition     = var.agent_count >= 1 && var.agent_count <= 200
    error_message = "The agent_count must be between 1 and 200 (the addresses come from one /24 VLAN)."
  }
}

variable "cpu_count" {
  description = "CPUs of every node."
  type        = number
  default     = 2
}

variable "memory_gb" {
  description = "Memory of every node in GB."
  type        = number
  default     = 8
}

variable "data_disk_gb" {
  description = "Size of the extra disk of every node in GB; the provisioner adds it to the root volume group."
  type        = number
  default     = 50
}

variable "vlan_ipv4_base_address" {
  description = "Network address of the cluster's /24 VLAN. Masters get .11 upwards, agents .21 upwards."
  type        = string
  default     = "10.0.0.0"
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
}

variable "ssh_private_key_file" {
  description = "Operator's private key, as written into the provisioner inventory (relative to the inventory file)."
  type        = string
  default     = "keys/id_ed25519"
}
