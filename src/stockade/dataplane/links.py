"""Small pyroute2 recipes the topology is built from (one place for netlink details).

Addresses are added without DAD (an IPv6 address is usable at once) and, on instance
interfaces, without the subnet's prefix route: an instance sends *everything* to the VPC
router, as on AWS, so neighbours in its own subnet are reached through the router too (and
filtered there). Neighbour entries are static on both sides of every link, so no ARP or
neighbour discovery runs, the first packet is never delayed by resolution, and an
unreachable neighbour never turns into an ICMP "host unreachable" (a stopped instance must
make its clients *time out*, as on AWS).
"""

from __future__ import annotations

import ipaddress
import socket
import time

from pyroute2.netlink.exceptions import NetlinkError

from stockade.dataplane.netns import Rtnl

IFA_F_NODAD = 0x02
IFA_F_NOPREFIXROUTE = 0x200
NUD_PERMANENT = 0x80
EEXIST, ENOENT, ESRCH, ENODEV = 17, 2, 3, 19
#: Route types (``rtm_type``) and the main routing table.
RTN_UNICAST, RTN_BLACKHOLE, RTN_THROW = 1, 6, 9
MAIN_TABLE = 254

#: Sysctls of every namespace the world makes: no DAD, no router advertisements.
QUIET_IPV6 = {
    "ipv6.conf.all.accept_dad": "0",
    "ipv6.conf.default.accept_dad": "0",
    "ipv6.conf.all.accept_ra": "0",
    "ipv6.conf.default.accept_ra": "0",
    "ipv6.conf.default.autoconf": "0",
}
#: A router namespace forwards, never redirects, and lets nftables do the source checks.
ROUTER = {
    **QUIET_IPV6,
    "ipv4.ip_forward": "1",
    "ipv6.conf.all.forwarding": "1",
    "ipv4.conf.all.rp_filter": "0",
    "ipv4.conf.default.rp_filter": "0",
    "ipv4.conf.all.send_redirects": "0",
    "ipv4.conf.default.send_redirects": "0",
}


def family(address: str) -> int:
    return socket.AF_INET6 if ":" in address else socket.AF_INET


def index(ipr: Rtnl, ifname: str) -> int | None:
    found = ipr.link_lookup(ifname=ifname)
    return found[0] if found else None


def loopback_up(ipr: Rtnl) -> None:
    """Bring up ``lo``, which every namespace has from birth (down): without it nothing in
    the namespace can reach its own addresses."""
    idx = index(ipr, "lo")
    if idx is None:
        raise LookupError("namespace has no loopback interface")
    set_up(ipr, idx, True)


def ignore(codes: tuple[int, ...], fn, *args, **kwargs) -> None:
    """Call a netlink operation, tolerating the given errnos (idempotent steps)."""
    try:
        fn(*args, **kwargs)
    except NetlinkError as exc:
        if exc.code not in codes:
            raise


def add_address(ipr: Rtnl, idx: int, address: str, prefixlen: int, on_link: bool) -> None:
    """Add an address; ``on_link=False`` suppresses the prefix route (see module doc)."""
    flags = IFA_F_NODAD | (0 if on_link else IFA_F_NOPREFIXROUTE)
    ignore((EEXIST,), ipr.addr, "add", index=idx, address=address, prefixlen=prefixlen, flags=flags)


def add_route(
    ipr: Rtnl,
    dst: str,
    idx: int | None = None,
    gateway: str | None = None,
    table: int | None = None,
    kind: str | None = None,
    onlink: bool = False,
) -> None:
    """Add (or replace) a route; ``kind='blackhole'`` drops silently."""
    spec: dict = {"dst": dst, "family": family(dst.split("/")[0])}
    if idx is not None:
        spec["oif"] = idx
    if gateway:
        spec["gateway"] = gateway
    if table:
        spec["table"] = table
    if kind:
        spec["type"] = kind
    elif idx is not None and not gateway:
        spec["scope"] = 253  # link: a directly connected destination (a gateway may use it)
    if onlink:
        spec["flags"] = 4  # RTNH_F_ONLINK
    ipr.route("replace", **spec)


def add_neighbour(ipr: Rtnl, idx: int, address: str, mac: str) -> None:
    ipr.neigh(
        "replace", dst=address, lladdr=mac, ifindex=idx, state=NUD_PERMANENT, family=family(address)
    )


def set_up(ipr: Rtnl, idx: int, up: bool) -> None:
    ipr.link("set", index=idx, state="up" if up else "down")


def wait_up(ipr: Rtnl, idx: int, timeout: float = 3.0) -> bool:
    """Wait until a link's operational state is UP.

    A new veth carries traffic only once the kernel's link watcher has run for it (until
    then its queue discipline is ``noop`` and silently drops packets); the watcher needs the
    RTNL lock, which tearing down other namespaces can hold for a long time. Without this
    wait, a first packet sent right after setup may vanish — a client would "time out" on
    an allowed flow.
    """
    deadline = time.monotonic() + timeout
    while True:
        if ipr.link("get", index=idx)[0].get("IFLA_OPERSTATE") == "UP":
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.001)


def is_up(ipr: Rtnl, idx: int) -> bool:
    link = ipr.link("get", index=idx)[0]
    return bool(link["flags"] & 1)


def addresses(ipr: Rtnl, idx: int) -> set[str]:
    """``address/prefixlen`` of every global address on a link."""
    out = set()
    for msg in ipr.get_addr(index=idx):
        address = msg.get("IFA_ADDRESS")
        if address and not ipaddress.ip_address(address).is_link_local:
            out.add(f"{address}/{msg['prefixlen']}")
    return out


def host(address: str) -> str:
    return f"{address}/{128 if ':' in address else 32}"
