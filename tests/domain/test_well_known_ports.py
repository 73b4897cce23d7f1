"""Well-known services and console rule Types (reference §6)."""

from __future__ import annotations

import pytest

from stockade.domain import protocols, well_known_ports
from stockade.domain.errors import AwsError
from stockade.domain.well_known_ports import SERVICES, lookup, name_for

# names that exist for lookup only: they are not console Types of their own (§6)
NOT_CONSOLE_TYPES = {"SFTP", "FTP", "Ping", "Ping IPv6", "PMTUD", "PMTUD IPv6"}


@pytest.mark.parametrize(
    ("name", "protocol", "from_port", "to_port"),
    [
        ("ssh", "tcp", 22, 22),
        ("sftp", "tcp", 22, 22),
        ("ftp", "tcp", 21, 21),
        ("http", "tcp", 80, 80),
        ("https", "tcp", 443, 443),
        ("rdp", "tcp", 3389, 3389),
        ("mysql", "tcp", 3306, 3306),
        ("MYSQL/Aurora", "tcp", 3306, 3306),
        ("aurora", "tcp", 3306, 3306),
        ("mssql", "tcp", 1433, 1433),
        ("postgres", "tcp", 5432, 5432),
        ("postgresql", "tcp", 5432, 5432),
        ("smtp", "tcp", 25, 25),
        ("dns (udp)", "udp", 53, 53),
        ("dns (tcp)", "tcp", 53, 53),
        ("pop3", "tcp", 110, 110),
        ("imap", "tcp", 143, 143),
        ("ldap", "tcp", 389, 389),
        ("smb", "tcp", 445, 445),
        ("smtps", "tcp", 465, 465),
        ("imaps", "tcp", 993, 993),
        ("pop3s", "tcp", 995, 995),
        ("nfs", "tcp", 2049, 2049),
        ("redshift", "tcp", 5439, 5439),
        ("oracle-rds", "tcp", 1521, 1521),
        ("winrm-http", "tcp", 5985, 5985),
        ("winrm-https", "tcp", 5986, 5986),
        ("elastic graphics", "tcp", 2007, 2007),
        ("cassandra", "tcp", 9042, 9042),
        ("all tcp", "tcp", 0, 65535),
        ("all udp", "udp", 0, 65535),
        ("all icmp - ipv4", "icmp", -1, -1),
        ("all icmp - ipv6", "icmpv6", -1, -1),
        ("all traffic", "-1", -1, -1),
        ("ping", "icmp", 8, -1),
        ("ping ipv6", "icmpv6", 128, -1),
        ("pmtud", "icmp", 3, 4),  # §2.5: type 3 code 4
        ("pmtud ipv6", "icmpv6", 2, -1),  # §2.5: Packet Too Big
    ],
)
def test_lookup_table(name, protocol, from_port, to_port):
    s = lookup(name)
    assert (s.protocol, s.from_port, s.to_port) == (protocol, from_port, to_port)


@pytest.mark.parametrize(
    "spelling",
    ["SSH", "ssh", "Ssh", " ssh ", "s s h", "S-S-H", "s_sh", "\tSSH\n"],
)
def test_lookup_ignores_case_and_spacing(spelling):
    assert lookup(spelling).name == "SSH"


@pytest.mark.parametrize(
    ("spelling", "name"),
    [
        ("ms-sql", "MSSQL"),
        ("MS SQL", "MSSQL"),
        ("mysql aurora", "MYSQL/Aurora"),
        ("Postgre SQL", "PostgreSQL"),
        ("DNS(TCP)", "DNS (TCP)"),
        ("winrm_https", "WinRM-HTTPS"),
        ("CQLSH / Cassandra", "CQLSH / Cassandra"),
        ("All Traffic", "All traffic"),
    ],
)
def test_lookup_spellings(spelling, name):
    assert lookup(spelling).name == name


@pytest.mark.parametrize("name", ["", "telnet", "custom tcp", "ssh2", "http s x", "22"])
def test_unknown_service(name):
    with pytest.raises(AwsError) as info:
        lookup(name)
    assert info.value.code == "InvalidParameterValue"


@pytest.mark.parametrize(
    ("protocol", "from_port", "to_port", "name"),
    [
        ("tcp", 22, 22, "SSH"),
        ("tcp", 80, 80, "HTTP"),
        ("tcp", 443, 443, "HTTPS"),
        ("tcp", 3389, 3389, "RDP"),
        ("tcp", 3306, 3306, "MYSQL/Aurora"),
        ("tcp", 1433, 1433, "MSSQL"),
        ("tcp", 5432, 5432, "PostgreSQL"),
        ("udp", 53, 53, "DNS (UDP)"),
        ("tcp", 53, 53, "DNS (TCP)"),
        ("tcp", 0, 65535, "All TCP"),
        ("udp", 0, 65535, "All UDP"),
        ("icmp", -1, -1, "All ICMP - IPv4"),
        ("icmpv6", -1, -1, "All ICMP - IPv6"),
        ("-1", -1, -1, "All traffic"),
        ("tcp", 8080, 8080, "Custom TCP"),
        ("tcp", 22, 23, "Custom TCP"),
        ("tcp", 21, 21, "Custom TCP"),  # §6: FTP has no console preset
        ("udp", 1234, 1234, "Custom UDP"),
        ("icmp", 8, -1, "Custom ICMP - IPv4"),
        ("icmp", 3, 4, "Custom ICMP - IPv4"),
        ("icmpv6", 128, -1, "Custom ICMP - IPv6"),
        ("47", -1, -1, "Custom protocol"),
        ("132", -1, -1, "Custom protocol"),
    ],
)
def test_name_for(protocol, from_port, to_port, name):
    assert name_for(protocol, from_port, to_port) == name


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)
def test_round_trip(service):
    assert lookup(service.name) is service
    if service.name in NOT_CONSOLE_TYPES:
        assert name_for(service.protocol, service.from_port, service.to_port) != service.name
    else:
        assert name_for(service.protocol, service.from_port, service.to_port) == service.name


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)
def test_every_service_is_a_valid_canonical_rule(service):
    assert protocols.canonical_protocol(service.protocol) == service.protocol
    assert protocols.canonical_ports(service.protocol, service.from_port, service.to_port) == (
        service.from_port,
        service.to_port,
    )


def test_service_names_are_unique_under_lookup_normalisation():
    keys = [well_known_ports._key(s.name) for s in SERVICES]
    assert len(keys) == len(set(keys))
