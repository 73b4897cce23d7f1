"""Network ACLs in the VPC router: which ACL a packet crosses where — the pure half.

AWS evaluates a subnet's network ACL when a packet *leaves* the subnet (egress entries, on
its destination) and when it *enters* one (ingress entries, on its source), request and
reply alike: the ACL is stateless. Traffic within one subnet crosses none (it is layer 2).
Every packet between two subnets, or between a subnet and the outside, passes the VPC
router's forward path here, so the router is where the crossings are enforced
(:mod:`stockade.dataplane.acl_render` spells them as nftables chains):

- leaving by an instance port's subnet: that subnet's egress entries, unless the
  destination is inside the subnet's own blocks (then it is within the subnet: a packet
  from a port to an address of its own subnet is delivered to a port of that subnet, since
  ``from <block> to <block>`` never meets a route table);
- entering an instance port's subnet: its ingress entries, unless the source is inside
  the subnet's blocks (a port sends only from its own addresses: ``spoof``);
- through a NAT gateway (a route's *realm*): the gateway's subnet's ingress (source: the
  instance's private address) and egress (destination: the internet address), unless the
  instance is in that subnet itself (instance and gateway then share the layer 2: the
  instance's own egress crossing was the subnet's one);
- its replies: the gateway subnet's ingress on the gateway's public address and
  translated port (1024–65535), before the router undoes the translation; then, undone,
  the gateway subnet's egress toward the instance (nothing more when the instance is in
  that subnet) and the instance subnet's ingress.

The internet gateway's 1:1 translation of a public destination happens before the
forward path (``nat_in``) and the source translation after it (``nat_out``), so each
crossing sees the addresses AWS's do: ingress matched on the source as seen there, egress
on the destination. Entries are evaluated in ascending rule number, first match decides —
:func:`stockade.domain.network_acl.first_match`, the one evaluation the policy engine uses
too, is what each chain's rules spell, entry by entry.

An ACL's entries of one direction and family are one chain named after its content, so
subnets sharing an ACL share its chains, and a changed ACL gets new chains the subnets
switch to (as group chains: :mod:`stockade.dataplane.delta`).
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property

from stockade.dataplane.names import chain_id
from stockade.domain.network_acl import NetworkAcl, NetworkAclEntry
from stockade.domain.state import Snapshot


@dataclass(frozen=True)
class AclChain:
    """One ACL's entries of one direction and address family, in evaluation order."""

    egress: bool
    family: int
    entries: tuple[NetworkAclEntry, ...]

    @property
    def tag(self) -> str:
        return "eg" if self.egress else "in"

    @cached_property
    def name(self) -> str:
        """``acl_in4_<digest>``: equal content, one chain; changed content, a new one."""
        digest = hashlib.blake2b(digest_size=5)
        for e in self.entries:
            digest.update(
                f"{e.rule_number},{e.action},{e.protocol},{e.cidr},{e.port_range},"
                f"{e.icmp_type},{e.icmp_code};".encode()
            )
        return f"acl_{self.tag}{self.family}_{digest.hexdigest()}"


@dataclass(frozen=True)
class SubnetCrossing:
    """A subnet with instance ports: its blocks (traffic within them crosses nothing) and
    its ACL's chains, ``(IPv4, IPv6)`` per direction."""

    subnet_id: str
    network_acl_id: str
    blocks: tuple[str, ...]
    ingress: tuple[str, str]
    egress: tuple[str, str]

    @property
    def key(self) -> str:
        return chain_id(self.subnet_id)


@dataclass(frozen=True)
class NatCrossing:
    """A NAT gateway some route uses: its realm and public IPv4, its subnet's IPv4 block
    and its subnet's ACL's IPv4 chains."""

    nat_gateway_id: str
    realm: int
    public_ip: str
    block: str
    ingress: str
    egress: str

    @property
    def key(self) -> str:
        return chain_id(self.nat_gateway_id)


@dataclass(frozen=True)
class AclPlan:
    """Every ACL crossing one VPC router enforces (sorted tuples: the plan is compared and
    hashed as a value)."""

    chains: tuple[AclChain, ...] = ()  # by name
    subnets: tuple[SubnetCrossing, ...] = ()  # by subnet id
    ports: tuple[tuple[str, str], ...] = ()  # (port ifname, subnet id)
    nat_gateways: tuple[NatCrossing, ...] = ()  # by realm

    @cached_property
    def chain_by_name(self) -> Mapping[str, AclChain]:
        return {c.name: c for c in self.chains}

    @cached_property
    def subnet_by_id(self) -> Mapping[str, SubnetCrossing]:
        return {s.subnet_id: s for s in self.subnets}


def plan_acls(
    snapshot: Snapshot,
    vpc_id: str,
    ports: Iterable[tuple[str, str]],
    blocks6: Mapping[str, str],
    nat_gateways: Iterable[tuple[int, str]],
) -> AclPlan:
    """The crossings of one VPC router.

    ``ports`` are (ifname, subnet id) of the router's instance ports; ``blocks6`` the IPv6
    block of subnets that have none but whose hand-built interfaces hold IPv6 addresses
    (as the routing plan takes them); ``nat_gateways`` the (realm, public IPv4) of the NAT
    gateways the VPC's routes use.
    """
    by_subnet = snapshot.network_acl_by_subnet
    subnets = {s.subnet_id: s for s in snapshot.subnets if s.vpc_id == vpc_id}
    chains: dict[str, AclChain] = {}

    def chain(acl: NetworkAcl, egress: bool, family: int) -> str:
        made = AclChain(egress, family, acl.ordered.get((egress, family), ()))
        chains.setdefault(made.name, made)
        return made.name

    port_list = sorted(ports)
    crossings: dict[str, SubnetCrossing] = {}
    for subnet_id in sorted({s for _ifname, s in port_list}):
        subnet, acl = subnets.get(subnet_id), by_subnet.get(subnet_id)
        if subnet is None or acl is None:
            continue
        block6 = subnet.ipv6_cidr_block or blocks6.get(subnet_id)
        blocks = tuple(_canonical(b) for b in (subnet.cidr_block, block6) if b)
        crossings[subnet_id] = SubnetCrossing(
            subnet_id,
            acl.network_acl_id,
            blocks,
            (chain(acl, False, 4), chain(acl, False, 6)),
            (chain(acl, True, 4), chain(acl, True, 6)),
        )
    nats: list[NatCrossing] = []
    by_public = {n.public_ip: n for n in snapshot.nat_gateways if n.vpc_id == vpc_id}
    for realm, public_ip in sorted(nat_gateways):
        nat = by_public.get(public_ip)
        subnet = subnets.get(nat.subnet_id) if nat is not None else None
        acl = by_subnet.get(subnet.subnet_id) if subnet is not None else None
        if nat is None or subnet is None or acl is None:
            continue
        nats.append(
            NatCrossing(
                nat.nat_gateway_id,
                realm,
                public_ip,
                _canonical(subnet.cidr_block),
                chain(acl, False, 4),
                chain(acl, True, 4),
            )
        )
    return AclPlan(
        tuple(chains[name] for name in sorted(chains)),
        tuple(crossings[s] for s in sorted(crossings)),
        tuple((ifname, s) for ifname, s in port_list if s in crossings),
        tuple(nats),
    )


def _canonical(block: str) -> str:
    return str(ipaddress.ip_network(block, strict=False))
