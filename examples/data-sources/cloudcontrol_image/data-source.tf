# An OS image by its exact name in a datacenter; an unknown name fails with the closest names.
data "cloudcontrol_image" "rocky8" {
  name       = "Rocky Linux 8 64-bit 2 CPU"
  datacenter = "NA9"
}

output "rocky8_image" {
  value = {
    id        = data.cloudcontrol_image.rocky8.id
    os        = data.cloudcontrol_image.rocky8.os_id
    cpu_count = data.cloudcontrol_image.rocky8.cpu_count
    memory_gb = data.cloudcontrol_image.rocky8.memory_gb
  }
}
