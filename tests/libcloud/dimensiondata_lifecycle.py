"""Apache libcloud's dimensiondata driver, unmodified, against the CloudControl emulator.

Usage: dimensiondata_lifecycle.py HOST PORT
The account comes from LIBCLOUD_USER and LIBCLOUD_PASSWORD (never from the command line).

libcloud speaks CaaS 2.4 in XML (it sends `Content-Type: application/xml` and no Accept), so every
step below goes through the emulator's XML path: list locations and images, create a network
domain, a VLAN, a server, a public IP block, a NAT rule and a firewall rule, wait for each, then
destroy them all (waiting until each is gone) and check that nothing is left. Each step prints one
line, `STEP <name> <seconds>`, that the Rust test shows.
"""

import os
import sys
import time

from libcloud.common.dimensiondata import (
    DimensionDataAPIException,
    DimensionDataFirewallAddress,
    DimensionDataFirewallRule,
)
from libcloud.compute.providers import get_driver
from libcloud.compute.types import NodeState, Provider

POLL = 0.5
TIMEOUT = 120


def step(name, started):
    print("STEP %s %.2f" % (name, time.monotonic() - started), flush=True)


def wait_gone(get, *args):
    """Polls `get` until the API answers RESOURCE_NOT_FOUND for the asset."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        try:
            get(*args)
        except DimensionDataAPIException as e:
            if e.code == "RESOURCE_NOT_FOUND":
                return
            raise
        time.sleep(POLL)
    raise AssertionError("%s%r still exists after %ss" % (get.__name__, args, TIMEOUT))


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    cls = get_driver(Provider.DIMENSIONDATA)
    # The emulator listens on loopback over plain http; libcloud refuses http unless the
    # connection class allows it.
    cls.connectionCls.allow_insecure = True
    # region=None: the connection would otherwise replace `host` with the region's real host.
    driver = cls(
        os.environ["LIBCLOUD_USER"],
        os.environ["LIBCLOUD_PASSWORD"],
        region=None,
        host=host,
        port=port,
        secure=False,
    )

    t = time.monotonic()
    locations = driver.list_locations()
    na9 = [loc for loc in locations if loc.id == "NA9"]
    assert na9, "NA9 missing from %r" % [loc.id for loc in locations]
    na9 = na9[0]
    assert na9.name and na9.country, "location fields empty: %r" % na9
    step("list_locations", t)

    t = time.monotonic()
    images = driver.list_images(location=na9)
    assert images, "no OS images in NA9"
    image = [i for i in images if i.name.startswith("Ubuntu")][0]
    assert image.extra["OS_type"] == "UNIX", image.extra
    assert image.extra["cpu"].cpu_count >= 1, image.extra
    step("list_images", t)

    t = time.monotonic()
    nd = driver.ex_create_network_domain(na9, "libcloud-nd", "ESSENTIALS", "made by libcloud")
    nd = driver.ex_wait_for_state("NORMAL", driver.ex_get_network_domain, POLL, TIMEOUT, nd.id)
    assert nd.name == "libcloud-nd" and nd.location.id == "NA9", nd
    assert [d.id for d in driver.ex_list_network_domains(location=na9)] == [nd.id]
    step("create_network_domain", t)

    t = time.monotonic()
    vlan = driver.ex_create_vlan(nd, "libcloud-vlan", "10.0.3.0", "app tier", 24)
    vlan = driver.ex_wait_for_state("NORMAL", driver.ex_get_vlan, POLL, TIMEOUT, vlan.id)
    assert vlan.private_ipv4_range_address == "10.0.3.0", vlan
    assert vlan.private_ipv4_range_size == 24, vlan
    assert vlan.network_domain.id == nd.id, vlan
    step("create_vlan", t)

    t = time.monotonic()
    node = driver.create_node(
        "libcloud-server",
        image,
        "Libcl0ud-Passw0rd!",
        ex_description="deployed by libcloud",
        ex_network_domain=nd,
        ex_primary_nic_vlan=vlan,
        ex_is_started=True,
    )
    node = driver.ex_wait_for_state("running", driver.ex_get_node_by_id, POLL, TIMEOUT, node.id)
    private_ip = node.private_ips[0]
    assert private_ip.startswith("10.0.3."), node.private_ips
    assert node.extra["networkDomainId"] == nd.id, node.extra
    assert node.extra["cpu"].cpu_count == image.extra["cpu"].cpu_count, node.extra
    step("create_server", t)

    t = time.monotonic()
    block = driver.ex_add_public_ip_block_to_network_domain(nd)
    assert block.status == "NORMAL" and int(block.size) == 2, vars(block)
    assert [b.id for b in driver.ex_list_public_ip_blocks(nd)] == [block.id]
    step("add_public_ip_block", t)

    t = time.monotonic()
    nat = driver.ex_create_nat_rule(nd, private_ip, block.base_ip)
    nat = driver.ex_get_nat_rule(nd, nat.id)
    assert nat.internal_ip == private_ip and nat.external_ip == block.base_ip, vars(nat)
    assert nat.status == "NORMAL", vars(nat)
    step("create_nat_rule", t)

    t = time.monotonic()
    rule = DimensionDataFirewallRule(
        id=None,
        name="libcloud_ssh_in",
        action="ACCEPT_DECISIVELY",
        location=na9,
        network_domain=nd,
        status=None,
        ip_version="IPV4",
        protocol="TCP",
        source=DimensionDataFirewallAddress(True, None, None, None, None, None, None),
        destination=DimensionDataFirewallAddress(
            False, block.base_ip, None, "22", None, None, None
        ),
        enabled=True,
    )
    rule = driver.ex_create_firewall_rule(nd, rule, "LAST")
    assert rule.id, "no firewallRuleId in the answer"
    rule = driver.ex_get_firewall_rule(nd, rule.id)
    assert rule.status == "NORMAL" and rule.enabled == "true", vars(rule)
    assert rule.destination.ip_address == block.base_ip, vars(rule.destination)
    assert rule.destination.port_begin == "22", vars(rule.destination)
    assert rule.source.any_ip, vars(rule.source)
    assert rule.id in [r.id for r in driver.ex_list_firewall_rules(nd)]
    step("create_firewall_rule", t)

    t = time.monotonic()
    assert driver.ex_delete_firewall_rule(rule)
    assert driver.ex_delete_nat_rule(nat)
    assert driver.ex_delete_public_ip_block(block)
    wait_gone(driver.ex_get_public_ip_block, block.id)
    step("delete_rules_and_block", t)

    t = time.monotonic()
    assert driver.ex_power_off(node)
    driver.ex_wait_for_state("stopped", driver.ex_get_node_by_id, POLL, TIMEOUT, node.id)
    assert driver.destroy_node(node)
    wait_gone(driver.ex_get_node_by_id, node.id)
    step("destroy_server", t)

    t = time.monotonic()
    assert driver.ex_delete_vlan(vlan)
    wait_gone(driver.ex_get_vlan, vlan.id)
    assert driver.ex_delete_network_domain(nd)
    wait_gone(driver.ex_get_network_domain, nd.id)
    assert driver.ex_list_network_domains() == []
    assert driver.list_nodes() == []
    step("delete_vlan_and_network_domain", t)


if __name__ == "__main__":
    main()
