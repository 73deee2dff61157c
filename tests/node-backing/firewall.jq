# CloudControl firewall rules (the API's order) as nftables rules for the router's `rules` chain.
# A rule matches the connection as it crossed the network domain's edge (conntrack's original
# direction): inbound, the client's address and the public (pre-NAT) address; outbound, the node's
# private address and the remote one. The platform's default rules keep their direction (the
# inbound IPv6 deny, the outbound mail blocks); client rules match both directions. Disabled rules
# are left out. Addresses and ports are anonymous sets (IP address and port lists arrive expanded).
# Input: the rules array of a firewall.update event.
def family: if .ipVersion == "IPV6" then "ip6" else "ip" end;
def addr(dir; fam; s):
  if s.addresses == null then ""
  else "ct original \(fam) \(dir)addr { \(s.addresses | join(", ")) } "
  end;
def port(dir; s):
  if s.ports == null then ""
  else "ct original proto-\(dir) { \(s.ports | join(", ")) } "
  end;
def proto:
  if .protocol == "TCP" then "meta l4proto tcp "
  elif .protocol == "UDP" then "meta l4proto udp "
  elif .protocol == "ICMP" then (if .ipVersion == "IPV6" then "meta l4proto icmpv6 " else "meta l4proto icmp " end)
  else "" end;
def direction:
  if (.name | startswith("CCDEFAULT.DenyExternalInbound")) then "iifname \"pub0\" "
  elif (.name | startswith("CCDEFAULT.BlockOutbound")) then "oifname \"pub0\" "
  else "" end;
.[] | select(.enabled) | . as $r
| "    \(direction)meta nfproto \(if .ipVersion == "IPV6" then "ipv6" else "ipv4" end) \(proto)\(addr("s"; $r | family; .source))\(addr("d"; $r | family; .destination))\(port("src"; .source))\(port("dst"; .destination))\(if .action == "DROP" then "drop" else "accept" end) comment \"\(.name)\""
