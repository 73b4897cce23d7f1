"""What each interface exposes to the internet: Inspector-style network-reachability findings.

For every interface, the inbound entries whose address block holds internet addresses
(``0.0.0.0/0``, ``::/0`` or any public CIDR, prefix-list entries included; a group
reference never does, as it means private addresses) are merged into maximal open ranges
per protocol, each with the rules and CIDRs responsible.

A range is *exposed* when the internet can actually reach the interface over that address
family (:func:`stockade.policy.interface_reach.internet_reach`, the definition the path and
the audit's grading share: a running instance, a public address, an internet gateway and
a route to it from the interface's subnet). Interfaces without such a path are still
reported, flagged *would be exposed*: one public IP, gateway, route or start away from
being open, which is worth knowing before it happens.

The network ACL of the interface's subnet narrows every range
(:func:`stockade.policy.acl_passage.internet_passage`): a piece it refuses — the request
in, or the reply out to the client's ephemeral ports — is not exposed, whatever the path,
and says which entry denies it (``deniedByNetworkAcl``); the ACL is a step of the path.

"Open" here is Inspector's question — can *some* internet host reach the port? — so a rule
for 203.0.113.0/24 counts, and the sources are listed. The audit's "open to the internet"
checks ask Security Hub's stricter one (every internet address); both read the same
internet (:func:`stockade.domain.addresses.is_public`) and the same risky-port catalogue
(:mod:`stockade.domain.risky_ports`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from stockade.domain.interface import NetworkInterface
from stockade.domain.interval_sets import intersect, subtract
from stockade.domain.risky_ports import is_risky
from stockade.domain.state import Snapshot
from stockade.policy.acl_passage import AclPassage, internet_passage
from stockade.policy.addressing import is_public_cidr
from stockade.policy.decision import RuleRef
from stockade.policy.effective import EffectiveEntry, effective_policies
from stockade.policy.flow import ICMP, PORTED
from stockade.policy.interface_reach import internet_reach
from stockade.policy.routes import table_of
from stockade.policy.tables import SERVICE_SPACE, service_range

#: An entry's ports (ICMP: types) as an inclusive range; None where the protocol has none.
_Span = tuple[int, int] | None


@dataclass(frozen=True)
class OpenPortRange:
    """A maximal range of one protocol open to internet sources."""

    protocol: str  # tcp | udp | icmp | icmpv6 | -1 (all traffic) | another number
    begin: int | None  # first port (ICMP: type); None where the protocol has no ports
    end: int | None
    address_family: int
    exposed: bool
    sources: tuple[str, ...]  # the public CIDRs that open it
    rules: tuple[RuleRef, ...]
    #: why the subnet's network ACL refuses the range (request in or reply out); None: it
    #: admits it (or no ACL applies)
    denied_by_acl: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "protocol": self.protocol.upper() if self.protocol in PORTED else self.protocol,
            "openPortRange": None if self.begin is None else {"begin": self.begin, "end": self.end},
            "addressFamily": f"IPv{self.address_family}",
            "exposed": self.exposed,
            "sources": list(self.sources),
            "rules": [r.to_dict() for r in self.rules],
            "deniedByNetworkAcl": self.denied_by_acl,
        }


@dataclass(frozen=True)
class ExposureFinding:
    """One interface's internet exposure (or would-be exposure)."""

    eni_id: str
    instance_id: str | None
    vpc_id: str
    public_ip: str | None
    exposed: bool
    severity: str  # CRITICAL | HIGH | MEDIUM | LOW
    open_ranges: tuple[OpenPortRange, ...]
    not_reachable_because: tuple[str, ...]  # why some family has no internet path
    network_path: tuple[dict[str, str | None], ...]

    @property
    def status(self) -> str:
        return "exposed" if self.exposed else "would-be-exposed"

    @property
    def title(self) -> str:
        subject = self.instance_id or self.eni_id
        shown = [r for r in self.open_ranges if r.exposed] or list(self.open_ranges)
        ranges = ", ".join(_range_text(r) for r in shown[:4])
        more = "" if len(shown) <= 4 else ", …"
        verb = "open to the internet" if self.exposed else "would be open to the internet"
        return f"{ranges}{more} {verb} on {subject}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "NETWORK_REACHABILITY",
            "status": self.status,
            "severity": self.severity,
            "title": self.title,
            "resource": {
                "network_interface_id": self.eni_id,
                "instance_id": self.instance_id,
                "vpc_id": self.vpc_id,
                "public_ip": self.public_ip,
            },
            "exposed": self.exposed,
            "not_reachable_because": list(self.not_reachable_because),
            "networkReachabilityDetails": [
                {**r.to_dict(), "networkPath": {"steps": list(self.network_path)}}
                for r in self.open_ranges
            ],
        }


def exposure(snapshot: Snapshot, vpc_id: str | None = None) -> tuple[ExposureFinding, ...]:
    """Findings for every interface (of ``vpc_id``, if given) with anything open to the
    internet, exposed ones first, then by interface id."""
    findings = []
    for eni_id, policy in sorted(effective_policies(snapshot).items()):
        eni = snapshot.interface_by_id[eni_id]
        if vpc_id is not None and eni.vpc_id != vpc_id:
            continue
        public = [e for e in policy.ingress if is_public_cidr(e.cidr)]
        if public:
            findings.append(_finding(snapshot, eni, public))
    return tuple(sorted(findings, key=lambda f: (not f.exposed, f.eni_id)))


def _finding(
    snapshot: Snapshot, eni: NetworkInterface, entries: list[EffectiveEntry]
) -> ExposureFinding:
    reachable, why = _internet_path(snapshot, eni)
    ranges: list[OpenPortRange] = []
    passages = {family: internet_passage(snapshot, eni, family) for family in (4, 6)}
    for (family, protocol), items in sorted(_by_protocol(entries).items()):
        for begin, end, contributors in _merge(items):
            rules: dict[str, RuleRef] = {}
            for entry in contributors:
                group = snapshot.group_by_id.get(entry.group_id)
                rules.setdefault(entry.rule_id, RuleRef.of(entry, group.name if group else None))
            whole = OpenPortRange(
                protocol,
                begin,
                end,
                family,
                reachable[family],
                tuple(sorted({e.cidr for e in contributors})),
                tuple(rules.values()),
            )
            ranges += _through_acl(whole, passages[family])
    exposed = any(r.exposed for r in ranges)
    why += [
        f"{_range_text(r)} (IPv{r.address_family}) {r.denied_by_acl}"
        for r in ranges
        if r.denied_by_acl and reachable[r.address_family]
    ]
    gateway = snapshot.internet_gateway_for(eni.vpc_id)
    table = table_of(snapshot, eni.subnet_id)
    path: list[dict[str, str | None]] = [
        {
            "componentId": gateway.igw_id if gateway else None,
            "componentType": "AWS::EC2::InternetGateway",
        },
        {
            "componentId": table.route_table_id or None if table else None,
            "componentType": "AWS::EC2::RouteTable",
        },
    ]
    acl = snapshot.network_acl_by_subnet.get(eni.subnet_id)
    path.append(
        {
            "componentId": acl.network_acl_id or None if acl else None,
            "componentType": "AWS::EC2::NetworkAcl",
        }
    )
    path.extend(
        {"componentId": g, "componentType": "AWS::EC2::SecurityGroup"}
        for g in sorted(set(eni.group_ids))
    )
    path.append({"componentId": eni.eni_id, "componentType": "AWS::EC2::NetworkInterface"})
    if eni.instance_id:
        path.append({"componentId": eni.instance_id, "componentType": "AWS::EC2::Instance"})
    return ExposureFinding(
        eni.eni_id,
        eni.instance_id,
        eni.vpc_id,
        eni.public_ip,
        exposed,
        _severity(ranges, exposed),
        tuple(ranges),
        tuple(why),
        tuple(path),
    )


def _through_acl(whole: OpenPortRange, passage: AclPassage) -> list[OpenPortRange]:
    """The range split by what the subnet's ACL lets the internet use both ways: admitted
    pieces keep their exposure, refused ones are not exposed and say which entry denies."""
    protocol = whole.protocol
    span = _packed(whole)
    admitted = intersect([span], list(passage.admitted))
    if admitted == [span]:
        return [whole]
    if protocol not in PORTED and protocol not in ICMP:  # all traffic, or a portless protocol
        if admitted:
            return [whole]
        return [replace(whole, exposed=False, denied_by_acl=_denial(passage, [span]))]
    out = []
    refused = subtract([span], admitted)
    for pieces, allowed in ((admitted, True), (refused, False)):
        for lo, hi in pieces:
            begin, end = lo & 0xFFFF, hi & 0xFFFF
            if protocol in ICMP:
                begin, end = begin >> 8, end >> 8
            out.append(
                replace(
                    whole,
                    begin=begin,
                    end=end,
                    exposed=whole.exposed and allowed,
                    denied_by_acl=None if allowed else _denial(passage, [(lo, hi)]),
                )
            )
    return sorted(out, key=lambda r: (r.begin or 0, r.end or 0))


def _packed(r: OpenPortRange) -> tuple[int, int]:
    """The range in the policy engine's service coordinate (ICMP: whole types)."""
    if r.protocol == "-1":
        return 0, SERVICE_SPACE - 1
    if r.protocol in ICMP and r.begin is not None and r.end is not None:
        low, _ = service_range(r.protocol, r.begin, -1)
        _, high = service_range(r.protocol, r.end, -1)
        return low, high
    if r.protocol in PORTED and r.begin is not None and r.end is not None:
        return service_range(r.protocol, r.begin, r.end)
    return service_range(r.protocol, -1, -1)


def _denial(passage: AclPassage, services: list[tuple[int, int]]) -> str:
    texts = list(dict.fromkeys(d.text() for d in passage.denials_of(services)))
    return "; ".join(texts[:3]) + (" …" if len(texts) > 3 else "")


def _internet_path(snapshot: Snapshot, eni: NetworkInterface) -> tuple[dict[int, bool], list[str]]:
    """Per family, whether the internet can reach the interface; and why not."""
    reach = {family: internet_reach(snapshot, eni, family) for family in (4, 6)}
    why = list(dict.fromkeys(w for r in reach.values() for w in r.why_not))
    return {family: r.reachable for family, r in reach.items()}, why


def _by_protocol(
    entries: list[EffectiveEntry],
) -> dict[tuple[int, str], list[tuple[_Span, EffectiveEntry]]]:
    """Intervals per (family, protocol); all-traffic rules open TCP and UDP entirely too.

    Within one (family, protocol) either every entry has a span or none does."""
    out: dict[tuple[int, str], list[tuple[_Span, EffectiveEntry]]] = {}
    for entry in entries:
        family = entry.family
        span: _Span
        if entry.protocol == "-1":
            for name in ("-1", "tcp", "udp"):
                span = None if name == "-1" else (0, 65535)
                out.setdefault((family, name), []).append((span, entry))
        elif entry.protocol in PORTED:
            span = (entry.from_port, entry.to_port)
            out.setdefault((family, entry.protocol), []).append((span, entry))
        elif entry.protocol in ICMP:
            span = (0, 255) if entry.from_port == -1 else (entry.from_port, entry.from_port)
            out.setdefault((family, entry.protocol), []).append((span, entry))
        else:
            out.setdefault((family, entry.protocol), []).append((None, entry))
    return out


def _merge(
    items: list[tuple[_Span, EffectiveEntry]],
) -> list[tuple[int | None, int | None, list[EffectiveEntry]]]:
    """Maximal ranges (overlapping or adjacent intervals joined), with their entries."""
    spans = [(span, entry) for span, entry in items if span is not None]
    if not spans:  # a protocol without ports: one range holding every entry
        return [(None, None, [entry for _, entry in items])]
    merged: list[tuple[int | None, int | None, list[EffectiveEntry]]] = []
    last_end = -2
    for (begin, end), entry in sorted(spans, key=lambda item: item[0]):
        if merged and begin <= last_end + 1:
            first, _, joined = merged[-1]
            joined.append(entry)
            last_end = max(last_end, end)
            merged[-1] = (first, last_end, joined)
        else:
            merged.append((begin, end, [entry]))
            last_end = end
    return merged


def _severity(ranges: list[OpenPortRange], exposed: bool) -> str:
    if not exposed:
        return "LOW"
    live = [r for r in ranges if r.exposed]
    if any(
        r.protocol == "-1" or (r.protocol == "tcp" and (r.begin, r.end) == (0, 65535)) for r in live
    ):
        return "CRITICAL"
    if any(
        r.protocol in PORTED
        and r.begin is not None
        and r.end is not None
        and is_risky(r.protocol, r.begin, r.end)
        for r in live
    ):
        return "HIGH"
    return "MEDIUM"


def _range_text(r: OpenPortRange) -> str:
    if r.protocol == "-1":
        return "all traffic"
    if r.begin is None:
        return f"protocol {r.protocol}"
    span = str(r.begin) if r.begin == r.end else f"{r.begin}-{r.end}"
    return f"{r.protocol}/{span}"
