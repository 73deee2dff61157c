# SSH on its own, so other lists can include it.
resource "cloudcontrol_port_list" "ssh" {
  network_domain_id = cloudcontrol_network_domain.main.id
  name              = "ssh"

  port {
    begin = 22
  }
}

# What a Mesos master serves: mesos-master on 5050, Marathon on 8080, and SSH.
resource "cloudcontrol_port_list" "masters" {
  network_domain_id = cloudcontrol_network_domain.main.id
  name              = "masters"
  description       = "Mesos, Marathon and SSH"

  port {
    begin = 5050
  }

  port {
    begin = 8080
  }

  child_list_ids = [cloudcontrol_port_list.ssh.id]
}
