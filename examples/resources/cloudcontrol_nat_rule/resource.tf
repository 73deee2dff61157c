# Maps a public address to the server's private address. Without external_ipv4 the API picks a
# free address from the domain's public IP blocks.
resource "cloudcontrol_nat_rule" "web" {
  network_domain_id = cloudcontrol_network_domain.main.id
  internal_ipv4     = cloudcontrol_server.web.primary_ipv4

  depends_on = [cloudcontrol_public_ip_block.web]
}
