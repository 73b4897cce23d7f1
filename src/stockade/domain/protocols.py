"""IP protocols and port / ICMP type-code ranges of a rule, with AWS's validation.

Canonical forms: ``tcp``, ``udp``, ``icmp``, ``icmpv6``, ``-1`` (all), or any other
protocol number 0–255 as a decimal string. Where AWS means "all ports" (``-1``, other
protocol numbers, icmpv6 without ports) the range is stored as ``(-1, -1)``.
"""

from __future__ import annotations

from stockade.domain import errors

ALL = "-1"
_NAMES = {"tcp": "tcp", "udp": "udp", "icmp": "icmp", "icmpv6": "icmpv6"}
_NUMBERS = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}
#: protocol name -> IANA number (for the data plane and flow logs)
NUMBER = {"tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58}
_PORTED = ("tcp", "udp")
_ICMP = ("icmp", "icmpv6")


def canonical_protocol(value: str | int | None) -> str:
    """``TCP`` → ``tcp``, ``6`` → ``tcp``, ``47`` → ``47``, ``-1`` → ``-1``."""
    if value is None or str(value).strip() == "":
        raise errors.missing_parameter("IpProtocol")
    text = str(value).strip().lower()
    if text in _NAMES:
        return _NAMES[text]
    if text in ("-1", "all"):
        return ALL
    if text.isascii() and text.isdigit() and int(text) <= 255:
        number = str(int(text))
        return _NUMBERS.get(number, number)
    raise errors.invalid_parameter_value(
        f"Invalid value '{value}' for IP protocol. Unknown protocol."
    )


def protocol_number(protocol: str) -> int | None:
    """IANA number of a canonical protocol; ``None`` for ``-1`` (all)."""
    if protocol == ALL:
        return None
    return NUMBER.get(protocol) if protocol in NUMBER else int(protocol)


def canonical_ports(protocol: str, from_port: int | None, to_port: int | None) -> tuple[int, int]:
    """Validate the port range (or ICMP type/code) for a canonical protocol.

    tcp/udp: both required, 0..65535, from <= to. icmp: both required, type and code each
    -1 or 0..255, code -1 when type is -1. icmpv6: the same, but both may be left out
    (all types). ``-1`` and other numbers: ports are ignored.
    """
    if protocol in _PORTED:
        if from_port is None or to_port is None:
            raise errors.invalid_parameter_value(
                "Invalid value 'Must specify both from and to ports with TCP/UDP.' for portRange."
            )
        for port in (from_port, to_port):
            if not 0 <= port <= 65535:
                raise errors.permission_malformed(f"TCP/UDP port ({port}) out of range")
        if from_port > to_port:
            raise errors.invalid_parameter_value(
                f"Invalid value 'Invalid TCP/UDP port range: from port ({from_port}) is greater "
                f"than to port ({to_port}).' for portRange."
            )
        return from_port, to_port
    if protocol in _ICMP:
        if from_port is None and to_port is None and protocol == "icmpv6":
            return -1, -1
        if from_port is None or to_port is None:
            raise errors.invalid_parameter_value(
                "Invalid value 'Must specify both from and to ports with ICMP.' for portRange."
            )
        for label, value in (("type", from_port), ("code", to_port)):
            if not -1 <= value <= 255:
                raise errors.permission_malformed(f"ICMP {label} ({value}) out of range")
        if from_port == -1 and to_port != -1:
            raise errors.permission_malformed(
                f"ICMP code ({to_port}) out of range: the code must be -1 when the type is -1"
            )
        return from_port, to_port
    return -1, -1


def explicit_protocol(value: str | int | None) -> str:
    """The canonical protocol of a rule *replaced by id* (ModifySecurityGroupRules).

    That call names a missing protocol and a half-given TCP/UDP range in its own words,
    not those of Authorize (AWS's texts, quoted in issue 14).
    """
    if value is None or str(value).strip() == "":
        raise errors.invalid_parameter_value(
            "Invalid value 'null' for protocol. VPC security group rules must specify "
            "protocols explicitly."
        )
    return canonical_protocol(value)


def replacement_ports(protocol: str, from_port: int | None, to_port: int | None) -> tuple[int, int]:
    """:func:`canonical_ports` for ModifySecurityGroupRules, with its own missing-port text."""
    if protocol in _PORTED and (from_port is None or to_port is None):
        raise errors.invalid_parameter_value(
            "Invalid value for portRange. Must specify both from and to ports with TCP/UDP."
        )
    return canonical_ports(protocol, from_port, to_port)


def describe_ports(protocol: str, from_port: int, to_port: int) -> str:
    """Console-style "Port range" text: ``22``, ``8000 - 8080``, ``All``, ICMP type/code."""
    if protocol in _PORTED:
        if (from_port, to_port) == (0, 65535):
            return "All"
        return str(from_port) if from_port == to_port else f"{from_port} - {to_port}"
    if protocol in _ICMP:
        if from_port == -1:
            return "All"
        return f"type {from_port}" + ("" if to_port == -1 else f" code {to_port}")
    return "All"


def describe_protocol(protocol: str) -> str:
    """Console-style "Protocol" text: ``TCP``, ``ICMP``, ``All``, ``GRE (47)``…"""
    if protocol == ALL:
        return "All"
    if protocol in NUMBER:
        return "ICMPv6" if protocol == "icmpv6" else protocol.upper()
    return _OTHER_NAMES.get(protocol, f"Protocol {protocol}")


_OTHER_NAMES = {
    "0": "HOPOPT (0)",
    "2": "IGMP (2)",
    "4": "IPv4 (4)",
    "41": "IPv6 (41)",
    "47": "GRE (47)",
    "50": "ESP (50)",
    "51": "AH (51)",
    "89": "OSPF (89)",
    "112": "VRRP (112)",
    "132": "SCTP (132)",
}
