"""Elastic network interfaces: where security groups attach, and what group references mean."""

from __future__ import annotations

from dataclasses import dataclass, field

from stockade.domain.tags import Tags


@dataclass(frozen=True)
class ConnectionTracking:
    """Per-interface conntrack idle timeouts (seconds), AWS defaults (non-Nitro-v6)."""

    tcp_established_timeout: int = 432000
    udp_stream_timeout: int = 180
    udp_timeout: int = 30


@dataclass(frozen=True)
class NetworkInterface:
    eni_id: str
    owner_id: str
    region: str
    vpc_id: str
    subnet_id: str
    availability_zone: str
    private_ip: str
    mac_address: str
    group_ids: tuple[str, ...]
    ipv6_addresses: tuple[str, ...] = ()
    #: secondary private IPv4 addresses (AssignPrivateIpAddresses), in assignment order
    secondary_private_ips: tuple[str, ...] = ()
    public_ip: str | None = None
    #: whether a public IPv4 is wanted while running (AWS releases it on stop)
    associate_public_ip: bool = False
    instance_id: str | None = None
    device_index: int | None = None
    attachment_id: str | None = None
    #: deleted with its instance (interfaces created by RunInstances are)
    delete_on_termination: bool = False
    description: str = ""
    source_dest_check: bool = True
    connection_tracking: ConnectionTracking = field(default_factory=ConnectionTracking)
    #: whether ConnectionTrackingSpecification was set explicitly (shown only then)
    connection_tracking_set: bool = False
    interface_type: str = "interface"
    tags: Tags = ()

    @property
    def status(self) -> str:
        return "in-use" if self.instance_id else "available"

    @property
    def private_ipv4_addresses(self) -> tuple[str, ...]:
        """The primary private IPv4, then the secondary ones."""
        return (self.private_ip, *self.secondary_private_ips)

    @property
    def private_addresses(self) -> tuple[str, ...]:
        """Every private address, secondary ones included: what a reference to one of its
        groups matches, and what names the interface as a flow's end."""
        return (*self.private_ipv4_addresses, *self.ipv6_addresses)
