"""A flow: the first packet of a new connection, as a question to the policy engine.

Each end is an instance id (``i-…``: its primary interface), an interface id (``eni-…``)
or an IP address (an interface's private or public address, or an external host). The
protocol is canonicalised with the domain's rules (``6`` → ``tcp``); ``-1`` asks about
*all traffic* (every protocol and port) at once. TCP and UDP need a destination port;
ICMP and ICMPv6 a type (code 0 unless given). Other protocol numbers have no ports.

``source_port`` is the client's port, which only network ACLs care about: being stateless,
they judge the reply by its destination port, the client's. Unset, the client is taken to
pick any port of :data:`EPHEMERAL_PORTS` (what Linux, and so every stockade instance and
probe, uses), and a reply is allowed only when the whole range is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stockade.domain import protocols
from stockade.domain.errors import AwsError
from stockade.policy.addressing import try_parse_address

PORTED = ("tcp", "udp")
ICMP = ("icmp", "icmpv6")
#: A client's source ports when the flow names none: Linux's default
#: ``net.ipv4.ip_local_port_range`` (AWS documents 32768–61000 for Linux clients).
EPHEMERAL_PORTS = (32768, 60999)
#: The ports a NAT gateway translates sources to (AWS: 1024–65535).
NAT_GATEWAY_PORTS = (1024, 65535)


@dataclass(frozen=True)
class Flow:
    source: str
    destination: str
    protocol: str = "tcp"
    port: int | None = None
    icmp_type: int | None = None
    icmp_code: int | None = None
    #: 4 or 6 when neither end is an address (ids only); otherwise taken from the addresses
    address_family: int | None = None
    #: the client's source port (TCP/UDP); ``None``: any of :data:`EPHEMERAL_PORTS`
    source_port: int | None = None

    def __post_init__(self) -> None:
        try:
            protocol = protocols.canonical_protocol(self.protocol)
        except AwsError as exc:
            raise ValueError(f"unknown protocol {self.protocol!r}") from exc
        object.__setattr__(self, "protocol", protocol)
        for end in (self.source, self.destination):
            if try_parse_address(end) is None and not end.startswith(("i-", "eni-")):
                raise ValueError(
                    f"{end!r} is neither an instance id, an interface id nor an IP address"
                )
        if protocol in PORTED:
            if self.port is None or not 0 <= self.port <= 65535:
                raise ValueError(f"{protocol} needs a destination port 0-65535")
        elif protocol in ICMP:
            if self.icmp_type is None and self.port is not None:
                object.__setattr__(self, "icmp_type", self.port)
            if self.icmp_type is None or not 0 <= self.icmp_type <= 255:
                raise ValueError(f"{protocol} needs an ICMP type 0-255")
            if self.icmp_code is None:
                object.__setattr__(self, "icmp_code", 0)
            if not 0 <= self.icmp_code <= 255:  # type: ignore[operator]
                raise ValueError("the ICMP code must be 0-255")
            object.__setattr__(self, "port", None)
        else:
            object.__setattr__(self, "port", None)
        if self.source_port is not None:
            if protocol not in PORTED:
                raise ValueError(f"{protocol} has no source port")
            if not 0 <= self.source_port <= 65535:
                raise ValueError("the source port must be 0-65535")
        families = {f for f in (self.source_family, self.destination_family) if f}
        if len(families) > 1:
            raise ValueError("the source and destination addresses are of different families")
        if self.address_family not in (None, 4, 6):
            raise ValueError("address_family must be 4 or 6")
        if families and self.address_family and families != {self.address_family}:
            raise ValueError("address_family contradicts the addresses given")

    @property
    def source_family(self) -> int | None:
        parsed = try_parse_address(self.source)
        return parsed[0] if parsed else None

    @property
    def destination_family(self) -> int | None:
        parsed = try_parse_address(self.destination)
        return parsed[0] if parsed else None

    @property
    def family(self) -> int:
        """The address family the flow travels over (IPv4 unless something says 6)."""
        return self.source_family or self.destination_family or self.address_family or 4

    @property
    def rule_ports(self) -> tuple[int, int]:
        """``(from, to)`` of a rule for exactly this flow's service: the port twice, the ICMP
        type and code, or ``-1, -1`` (validation on creation guarantees the values)."""
        if self.protocol in PORTED and self.port is not None:
            return self.port, self.port
        if self.protocol in ICMP and self.icmp_type is not None:
            return self.icmp_type, self.icmp_code or 0
        return -1, -1

    @property
    def source_ports(self) -> tuple[int, int] | None:
        """The client ports a reply may be addressed to (TCP/UDP; ``None`` otherwise)."""
        if self.protocol not in PORTED:
            return None
        if self.source_port is not None:
            return self.source_port, self.source_port
        return EPHEMERAL_PORTS

    @property
    def protocol_number(self) -> int | None:
        """IANA protocol number; ``None`` for ``-1`` (all traffic)."""
        return protocols.protocol_number(self.protocol)

    @property
    def is_all_traffic(self) -> bool:
        return self.protocol == protocols.ALL

    def service(self) -> str:
        """``tcp/22``, ``icmp type 8 code 0``, ``all traffic``, ``protocol 47``."""
        if self.protocol in PORTED:
            return f"{self.protocol}/{self.port}"
        if self.protocol in ICMP:
            return f"{self.protocol} type {self.icmp_type} code {self.icmp_code}"
        if self.is_all_traffic:
            return "all traffic"
        return f"protocol {self.protocol}"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "source": self.source,
            "destination": self.destination,
            "protocol": self.protocol,
        }
        if self.protocol in PORTED:
            out["port"] = self.port
            if self.source_port is not None:
                out["source_port"] = self.source_port
        if self.protocol in ICMP:
            out["icmp_type"] = self.icmp_type
            out["icmp_code"] = self.icmp_code
        out["address_family"] = self.family
        return out
