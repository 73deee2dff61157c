# A network domain's virtual listeners as an HAProxy configuration for its router (TCP proxying:
# the platform's load balancer forwards connections; it does not terminate them here).
# Input: the listeners array of a loadBalancer.update event. Only enabled listeners with a pool
# are served. Health monitors: CCDEFAULT.Http / .Https become HTTP checks that accept any answer
# (the platform's default monitor only needs a reply); .Tcp, .TcpHalfOpen and a node's .Icmp
# become TCP connect checks (HAProxy cannot ping, and a stopped node refuses both alike); with
# none, members are not checked. Disabled members and members of disabled nodes are not used.
def short: .[0:8];
def balance:
  if .persistenceProfile == "CCDEFAULT.SourceAddress" then "source"
  elif (.pool.loadBalanceMethod | startswith("LEAST_CONNECTIONS")) then "leastconn"
  else "roundrobin" end;
def http_monitor: [.pool.healthMonitors[] | select(startswith("CCDEFAULT.Http"))] | first;
def checked: (.pool.healthMonitors | length) > 0 or any(.pool.members[]; .nodeHealthMonitor != null);
"global",
"  maxconn 4096",
"defaults",
"  mode tcp",
"  timeout connect 3s",
"  timeout client 120s",
"  timeout server 120s",
"  timeout check 2s",
"  retries 2",
"  option redispatch",
(.[] | select(.enabled and .pool != null) | . as $l
 | http_monitor as $http
 # every member of the listener gets the same check
 | (if checked then " check inter 1s fall 2 rise 2" else "" end
    + if $http == "CCDEFAULT.Https" then " check-ssl verify none" else "" end) as $check
 | "frontend l-\(.id | short)",
   "  bind \(.ipv4):\(.port)",
   "  default_backend p-\(.id | short)",
   "backend p-\(.id | short)",
   "  balance \(balance)",
   (if $http == null then empty
    else "  option httpchk GET /", "  http-check expect rstatus ^[1-5]" end),
   (.pool.members[]
    | "  server m-\(.id | short) \(.address):\(.port // $l.port)\($check)\(if .enabled then "" else " disabled" end)"))
