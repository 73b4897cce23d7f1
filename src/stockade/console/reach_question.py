"""The question "Can A reach B?" as a person asks it on the console, made into the policy
engine's :class:`~stockade.policy.Flow` — or, for a range of sources, the analyzer's.

A source is an instance (Name tag or id), an interface id, an IP address (a host CIDR such as
``203.0.113.10/32`` counts as one), a CIDR, or "the internet"; a destination is an
instance, interface or IP address. Names resolve as ``stockade check`` resolves them
(:mod:`stockade.domain.instance_names`). "The internet" is the analyzer's stand-in internet
host (:func:`stockade.analysis.reach_path.internet_host`: an address the destination's subnet
routes to its gateway when it routes only part of the internet there), so the console,
``stockade reach`` and Reachability Analyzer's internet-gateway ends ask the same question.

A CIDR of more than one address has no single packet to follow: it becomes a
:class:`RangeQuestion`, answered as ``stockade reach --from CIDR --to B --port P`` answers it
(what part of the service some of the range reaches, the rules and the sources that admit
it, what the network ACLs take); the layers and the fix need one address of it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass

from stockade.analysis.intervals import ALL_SERVICES, Interval, service_interval
from stockade.analysis.reach_path import INTERNET_HOSTS, internet_host
from stockade.console.session import ConsoleRefused
from stockade.domain import protocols
from stockade.domain.errors import AwsError
from stockade.domain.instance_names import endpoint_id
from stockade.domain.state import Snapshot
from stockade.policy.addressing import try_parse_address
from stockade.policy.flow import ICMP, PORTED, Flow

#: What a person may type for "the internet" (case does not matter).
INTERNET_WORDS = ("internet", "the internet")
#: The protocols the form offers (the engine takes any protocol number as well).
PROTOCOLS = (("tcp", "TCP"), ("udp", "UDP"), ("icmp", "ICMP"), ("icmpv6", "ICMPv6"), ("-1", "All"))
_MAX_FIELD = 200  # longer than any id, address or Name AWS allows (255-char tags aside)


@dataclass(frozen=True)
class Question:
    """The form's fields as given (trimmed): what the page echoes and the fix re-asks."""

    source: str
    destination: str
    protocol: str = "tcp"
    port: str = ""

    @classmethod
    def of(cls, fields: Mapping[str, object]) -> Question | None:
        """The question in a form or query; ``None`` when nothing was asked yet."""

        def field(name: str, default: str = "") -> str:
            value = fields.get(name)
            return str(value).strip()[:_MAX_FIELD] if value is not None else default

        source, destination = field("from"), field("to")
        if not source and not destination and "from" not in fields:
            return None
        return cls(source, destination, field("protocol", "tcp") or "tcp", field("port"))

    @property
    def from_internet(self) -> bool:
        return self.source.lower() in INTERNET_WORDS

    def fields(self) -> dict[str, str]:
        """The question as form fields (hidden inputs of the fix button, links)."""
        return {
            "from": self.source,
            "to": self.destination,
            "protocol": self.protocol,
            "port": self.port,
        }


@dataclass(frozen=True)
class RangeQuestion:
    """A range of sources to one instance or interface, on the question's service."""

    cidr: str  # canonical
    destination: str  # an instance or interface id
    services: list[Interval]


def ask(snapshot: Snapshot, question: Question) -> Flow | RangeQuestion:
    """What the question asks: one flow, or a range's reach. Bad input is a
    :class:`ConsoleRefused` (400) with a one-line reason, an unknown Name AWS's
    ``InvalidInstanceID.NotFound``."""
    network = _network(question.source, "source")
    if network is not None and network.num_addresses > 1:
        return _range_question(snapshot, question, str(network))
    return flow_of(snapshot, question)


def flow_of(snapshot: Snapshot, question: Question) -> Flow:
    """The one flow the question asks about (a range of sources is refused: see :func:`ask`)."""
    if not question.source:
        raise ConsoleRefused(400, "Say where the connection comes from.")
    if not question.destination:
        raise ConsoleRefused(400, "Say where the connection goes to.")
    port = _port(question)
    destination = _endpoint(snapshot, question.destination, "destination")
    if question.from_internet:
        source = _internet_host(snapshot, destination)
    else:
        source = _endpoint(snapshot, question.source, "source")
    try:
        return Flow(source, destination, question.protocol, port)
    except ValueError as exc:
        raise ConsoleRefused(400, f"Cannot ask that: {exc}.") from None


def _range_question(snapshot: Snapshot, question: Question, cidr: str) -> RangeQuestion:
    if not question.destination:
        raise ConsoleRefused(400, "Say where the connection goes to.")
    destination = _endpoint(snapshot, question.destination, "destination")
    if not destination.startswith(("i-", "eni-")):
        raise ConsoleRefused(
            400,
            f"From a range ({cidr}) the destination must be an instance or an interface, "
            f"not the address '{destination}'.",
        )
    return RangeQuestion(cidr, destination, [_service(question)])


def _service(question: Question) -> Interval:
    """The question's protocol and port (ICMP: type) as a service interval; no port: all
    ports (all types) of the protocol."""
    try:
        protocol = protocols.canonical_protocol(question.protocol)
    except AwsError:
        raise ConsoleRefused(
            400, f"Cannot ask that: unknown protocol '{question.protocol}'."
        ) from None
    if protocol == protocols.ALL:
        return ALL_SERVICES
    port = _port(question)
    if protocol in PORTED:
        low, high = (0, 65535) if port is None else (port, port)
        return service_interval(protocol, low, high)
    if protocol in ICMP and port is not None:
        if port > 255:
            raise ConsoleRefused(400, f"Cannot ask that: {protocol} needs an ICMP type 0-255.")
        return service_interval(protocol, port, -1)
    return service_interval(protocol, -1, -1)


def _port(question: Question) -> int | None:
    if not question.port:
        return None
    if not question.port.isdigit() or int(question.port) > 65535:
        raise ConsoleRefused(
            400, f"The port must be a number 0-65535 (ICMP: a type 0-255), not '{question.port}'."
        )
    return int(question.port)


def _network(given: str, which: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """A CIDR given as an end (``None`` when it is not one)."""
    if "/" not in given:
        return None
    try:
        return ipaddress.ip_network(given, strict=False)
    except ValueError:
        raise ConsoleRefused(400, f"The {which} '{given}' is not a CIDR.") from None


def _endpoint(snapshot: Snapshot, given: str, which: str) -> str:
    """An instance Name or id, an interface id or an address (a host CIDR is its address)."""
    network = _network(given, which)
    if network is not None:
        if network.num_addresses != 1:
            raise ConsoleRefused(400, f"The {which} '{given}' is a range: give one address of it.")
        return str(network.network_address)
    if given.lower() in INTERNET_WORDS:
        raise ConsoleRefused(
            400, f"The {which} must be an instance or an address ('the internet' is a source)."
        )
    return endpoint_id(snapshot.instances, given)


def _internet_host(snapshot: Snapshot, destination: str) -> str:
    """The analyzer's internet host for this destination (its address family; one its
    subnet routes to the gateway)."""
    parsed = try_parse_address(destination)
    if parsed is not None:
        return INTERNET_HOSTS[parsed[0]]
    instance = snapshot.get_instance(destination)
    eni_id = instance.primary_eni_id if instance is not None else destination
    eni = snapshot.get_interface(eni_id)
    return INTERNET_HOSTS[4] if eni is None else internet_host(snapshot, eni, 4)
