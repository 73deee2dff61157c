# Load balancing needs an ADVANCED (or ENTERPRISE) network domain.
resource "cloudcontrol_network_domain" "balanced" {
  name       = "balanced"
  type       = "ADVANCED"
  datacenter = "NA9"
}

# Listeners without `listener_ip_address` take a free address of the domain's public IP blocks.
resource "cloudcontrol_public_ip_block" "entry" {
  network_domain_id = cloudcontrol_network_domain.balanced.id
}

# The pool the listener forwards to; its members are `cloudcontrol_vip_pool_member`s.
resource "cloudcontrol_vip_pool" "marathon_masters" {
  network_domain_id   = cloudcontrol_network_domain.balanced.id
  name                = "marathon-masters"
  load_balance_method = "LEAST_CONNECTIONS_MEMBER"
}

data "cloudcontrol_vip_persistence_profile" "source_address" {
  network_domain_id = cloudcontrol_network_domain.balanced.id
  name              = "CCDEFAULT.SourceAddress"
}

# Marathon on one stable public address, forwarded to the masters' pool; a client stays on one
# master by its source address.
resource "cloudcontrol_virtual_listener" "marathon" {
  network_domain_id      = cloudcontrol_network_domain.balanced.id
  name                   = "marathon"
  description            = "Marathon UI and API"
  protocol               = "TCP"
  optimization_profile   = "TCP"
  port                   = 8080
  pool_id                = cloudcontrol_vip_pool.marathon_masters.id
  persistence_profile_id = data.cloudcontrol_vip_persistence_profile.source_address.id

  # The address is assigned from the block, so the block must exist first.
  depends_on = [cloudcontrol_public_ip_block.entry]
}

output "marathon_url" {
  value = "http://${cloudcontrol_virtual_listener.marathon.listener_ip_address}:8080"
}
