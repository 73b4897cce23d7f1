"""Well-known services, usable by name: the classic ports and the console's rule Types.

``lookup("ssh")`` → ``Service("SSH", "tcp", 22, 22)``. Names are matched
case-insensitively, ignoring spaces, dashes, underscores and slashes, so ``mysql``,
``MYSQL/Aurora`` and ``ms-sql`` all work.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stockade.domain import errors


@dataclass(frozen=True)
class Service:
    name: str  # the console's Type label
    protocol: str
    from_port: int
    to_port: int
    note: str = ""


SERVICES: tuple[Service, ...] = (
    Service("SSH", "tcp", 22, 22, "also SFTP and SCP"),
    Service("SFTP", "tcp", 22, 22, "SSH file transfer; no separate console type"),
    Service("FTP", "tcp", 21, 21, "control channel; passive data ports are site-specific"),
    Service("SMTP", "tcp", 25, 25, "EC2 throttles outbound 25 by default"),
    Service("DNS (UDP)", "udp", 53, 53),
    Service("DNS (TCP)", "tcp", 53, 53),
    Service("HTTP", "tcp", 80, 80),
    Service("POP3", "tcp", 110, 110),
    Service("IMAP", "tcp", 143, 143),
    Service("LDAP", "tcp", 389, 389),
    Service("HTTPS", "tcp", 443, 443),
    Service("SMB", "tcp", 445, 445),
    Service("SMTPS", "tcp", 465, 465),
    Service("IMAPS", "tcp", 993, 993),
    Service("POP3S", "tcp", 995, 995),
    Service("MSSQL", "tcp", 1433, 1433),
    Service("Oracle-RDS", "tcp", 1521, 1521),
    Service("Elastic Graphics", "tcp", 2007, 2007, "end of life 2024-01-08"),
    Service("NFS", "tcp", 2049, 2049),
    Service("MYSQL/Aurora", "tcp", 3306, 3306),
    Service("RDP", "tcp", 3389, 3389),
    Service("PostgreSQL", "tcp", 5432, 5432),
    Service("Redshift", "tcp", 5439, 5439),
    Service("WinRM-HTTP", "tcp", 5985, 5985),
    Service("WinRM-HTTPS", "tcp", 5986, 5986),
    Service("CQLSH / Cassandra", "tcp", 9042, 9042),
    Service("All TCP", "tcp", 0, 65535),
    Service("All UDP", "udp", 0, 65535),
    Service("All ICMP - IPv4", "icmp", -1, -1),
    Service("All ICMP - IPv6", "icmpv6", -1, -1),
    Service("All traffic", "-1", -1, -1),
    Service("Ping", "icmp", 8, -1, "ICMP Echo Request"),
    Service("Ping IPv6", "icmpv6", 128, -1, "ICMPv6 Echo Request"),
    Service("PMTUD", "icmp", 3, 4, "Fragmentation needed and DF set; needed for Path MTU"),
    Service("PMTUD IPv6", "icmpv6", 2, -1, "Packet Too Big"),
)

#: extra spellings people use
_ALIASES = {
    "mysql": "MYSQL/Aurora",
    "aurora": "MYSQL/Aurora",
    "postgres": "PostgreSQL",
    "cassandra": "CQLSH / Cassandra",
    "oracle": "Oracle-RDS",
    "winrm": "WinRM-HTTP",
    "dns": "DNS (UDP)",
    "all": "All traffic",
    "icmp": "All ICMP - IPv4",
}


def _key(name: str) -> str:
    return re.sub(r"[\s\-_/()]+", "", name.lower())


_BY_KEY = {_key(s.name): s for s in SERVICES}
_BY_KEY.update({_key(alias): _BY_KEY[_key(target)] for alias, target in _ALIASES.items()})


def lookup(name: str) -> Service:
    """The service of that name; ``InvalidParameterValue`` listing the names otherwise."""
    service = _BY_KEY.get(_key(name))
    if service is None:
        raise errors.invalid_parameter_value(
            f"Unknown service '{name}'. Known: " + ", ".join(s.name for s in SERVICES)
        )
    return service


def name_for(protocol: str, from_port: int, to_port: int) -> str:
    """The console Type for a rule (``SSH``, ``Custom TCP``, ``All traffic``…)."""
    for s in SERVICES:
        if s.name in ("SFTP", "FTP", "Ping", "Ping IPv6", "PMTUD", "PMTUD IPv6"):
            continue
        if (s.protocol, s.from_port, s.to_port) == (protocol, from_port, to_port):
            return s.name
    return {
        "tcp": "Custom TCP",
        "udp": "Custom UDP",
        "icmp": "Custom ICMP - IPv4",
        "icmpv6": "Custom ICMP - IPv6",
    }.get(protocol, "Custom protocol")
