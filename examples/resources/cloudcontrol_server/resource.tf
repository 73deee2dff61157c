data "cloudcontrol_image" "rocky8" {
  name       = "Rocky Linux 8 64-bit 2 CPU"
  datacenter = "NA9"
}

variable "admin_password" {
  type      = string
  sensitive = true
}

resource "cloudcontrol_server" "web" {
  name              = "web1"
  description       = "Web front end"
  network_domain_id = cloudcontrol_network_domain.main.id
  image_id          = data.cloudcontrol_image.rocky8.id
  admin_password    = var.admin_password
  cpu_count         = 2
  memory_gb         = 8
  cpu_speed         = "HIGHPERFORMANCE" # cores_per_socket and cpu_speed default to the image's
  monitoring_plan   = "ESSENTIALS"

  # Growing, adding or removing disks later, fewer CPUs or another CPU shape power the server
  # off and on again.
  allow_reboot = true

  primary_nic {
    vlan_id      = cloudcontrol_vlan.app.id
    private_ipv4 = "10.0.1.10"
  }

  # The image's disks come with it (all_disks lists them); this block adds a data disk.
  # A block on an image disk's scsi_id would grow it or change its speed instead.
  disk {
    scsi_id = 1
    size_gb = 100
    speed   = "HIGHPERFORMANCE"
  }

  timeouts {
    create = "45m"
  }
}
