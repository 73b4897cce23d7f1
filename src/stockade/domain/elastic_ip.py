"""Elastic IP addresses: a public IPv4 an account holds until it releases it.

An Elastic IP associated with an interface *is* that interface's public IPv4: association
sets :attr:`NetworkInterface.public_ip` to it (replacing an automatic one, which AWS
releases), so the policy engine, the data plane and the analyzer keep reading one field.
This record says where the address came from, and keeps it across stop/start, which
releases only automatic addresses.
"""

from __future__ import annotations

from dataclasses import dataclass

from stockade.domain.tags import Tags


@dataclass(frozen=True)
class ElasticIp:
    allocation_id: str
    public_ip: str
    owner_id: str
    region: str
    domain: str = "vpc"
    public_ipv4_pool: str = "amazon"
    #: the association, when associated (``eipassoc-…``), and what it is associated with
    association_id: str | None = None
    network_interface_id: str | None = None
    private_ip: str | None = None
    instance_id: str | None = None
    #: a NAT gateway holding the address (its interface is not an instance's)
    nat_gateway_id: str | None = None
    tags: Tags = ()

    @property
    def network_border_group(self) -> str:
        return self.region

    @property
    def is_associated(self) -> bool:
        return self.association_id is not None
