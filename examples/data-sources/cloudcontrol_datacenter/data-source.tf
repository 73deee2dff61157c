data "cloudcontrol_datacenter" "ashburn" {
  id = "NA9"
}

output "datacenter" {
  value = "${data.cloudcontrol_datacenter.ashburn.display_name}, ${data.cloudcontrol_datacenter.ashburn.city} (${data.cloudcontrol_datacenter.ashburn.country})"
}
