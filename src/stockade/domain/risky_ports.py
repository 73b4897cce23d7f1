"""Which ports must not face the internet: admin ports and the high-risk/database list.

The one catalogue: the audit's checks (configurable with ``--risky-ports``) and the
exposure findings' severity both read it, so ``stockade audit`` and ``stockade exposure``
call the same port risky.

The default list is the union of the lists auditors use (reference analysis-and-audit.md
§3.1–3.2): Prowler's ``ec2_high_risk_ports`` and its per-service checks (databases, caches,
search, Kafka, FTP, Telnet, CIFS, Kerberos, LDAP), Security Hub EC2.19 / Steampipe
``restricted_common_ports`` (plus the ports the AWS documentation adds), AWS Config
``restricted-common-ports``, ScoutSuite's known ports (with DNS over UDP), and the
NetBIOS/NFS/Oracle-TLS ports of Datadog and Tenable. Two deliberate omissions: Checkov's
port 80 (a web server's job is to face the internet) and ``-1`` (the all-traffic check
covers it). SSH and RDP are the separate admin check, so they are not repeated here.
VNC is both 5900 (the server, which the exposure grading always listed) and 5500 (the
listening viewer, Prowler's and Security Hub's entry).

Each entry is a range, so "1433–1434" is caught by a rule on 1433 alone and by a rule
spanning 1000–2000 — intersection, not equality.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class PortSpec:
    protocol: str  # tcp | udp
    first: int
    last: int
    name: str

    def text(self) -> str:
        span = str(self.first) if self.first == self.last else f"{self.first}-{self.last}"
        return f"{self.protocol}/{span} ({self.name})" if self.name else f"{self.protocol}/{span}"


ADMIN_PORTS = (PortSpec("tcp", 22, 22, "SSH"), PortSpec("tcp", 3389, 3389, "RDP"))

RISKY_PORTS = tuple(
    PortSpec(p, a, b, n)
    for p, a, b, n in (
        ("tcp", 20, 21, "FTP"),
        ("tcp", 23, 23, "Telnet"),
        ("tcp", 25, 25, "SMTP"),
        ("udp", 53, 53, "DNS"),
        ("tcp", 88, 88, "Kerberos"),
        ("tcp", 110, 110, "POP3"),
        ("tcp", 115, 115, "SFTP (legacy)"),
        ("tcp", 135, 135, "MS RPC"),
        ("tcp", 137, 139, "NetBIOS"),
        ("udp", 137, 138, "NetBIOS"),
        ("tcp", 143, 143, "IMAP"),
        ("tcp", 389, 389, "LDAP"),
        ("tcp", 445, 445, "SMB/CIFS"),
        ("tcp", 464, 464, "Kerberos password"),
        ("tcp", 636, 636, "LDAPS"),
        ("tcp", 749, 750, "Kerberos admin"),
        ("tcp", 1433, 1434, "MS SQL Server"),
        ("tcp", 1521, 1521, "Oracle"),
        ("tcp", 2049, 2049, "NFS"),
        ("tcp", 2483, 2484, "Oracle (TLS)"),
        ("tcp", 3000, 3000, "development servers"),
        ("tcp", 3306, 3306, "MySQL"),
        ("tcp", 4333, 4333, "mSQL"),
        ("tcp", 5000, 5000, "development servers"),
        ("tcp", 5432, 5432, "PostgreSQL"),
        ("tcp", 5500, 5500, "VNC (listening viewer)"),
        ("tcp", 5900, 5900, "VNC"),
        ("tcp", 5601, 5601, "Kibana"),
        ("tcp", 6379, 6379, "Redis"),
        ("tcp", 7199, 7199, "Cassandra JMX"),
        ("tcp", 8080, 8080, "HTTP proxy/alt"),
        ("tcp", 8088, 8088, "Hadoop YARN"),
        ("tcp", 8888, 8888, "Cassandra OpsCenter"),
        ("tcp", 9092, 9092, "Kafka"),
        ("tcp", 9160, 9160, "Cassandra Thrift"),
        ("tcp", 9200, 9300, "Elasticsearch"),
        ("tcp", 11211, 11211, "Memcached"),
        ("tcp", 27017, 27018, "MongoDB"),
    )
)


def is_risky(
    protocol: str,
    first: int,
    last: int,
    catalogue: tuple[PortSpec, ...] = ADMIN_PORTS + RISKY_PORTS,
) -> bool:
    """Whether a ``protocol`` port range ``first``–``last`` meets any port of the catalogue
    (intersection: a 0–1024 range holds SSH)."""
    return any(
        spec.protocol == protocol and spec.first <= last and first <= spec.last
        for spec in catalogue
    )


_SPEC_RE = re.compile(r"^(?:(tcp|udp)/)?([0-9]{1,5})(?:-([0-9]{1,5}))?$")


def parse_ports(text: str) -> tuple[PortSpec, ...]:
    """``"tcp/1433-1434,udp/53,9200"`` (protocol defaults to tcp) → port specs."""
    out = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        match = _SPEC_RE.match(item.lower())
        if not match:
            raise ValueError(f"bad port {item!r}: use PORT, FROM-TO, tcp/PORT or udp/FROM-TO")
        protocol, first = match.group(1) or "tcp", int(match.group(2))
        last = int(match.group(3) or first)
        if not 0 <= first <= last <= 65535:
            raise ValueError(f"bad port range {item!r}")
        out.append(PortSpec(protocol, first, last, ""))
    return tuple(out)
