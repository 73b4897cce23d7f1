"""Elastic IP addresses: a public IPv4 an account holds until it releases it.

An Elastic IP associated with an interface *is* that interface's public IPv4: association
sets :attr:`NetworkInterface.public_ip` to it (replacing an automatic one, which AWS
releases), so the policy engine, the data plane and the analyzer keep reading one field.
This record says where the address came from, and keeps it across stop/start, which
releases only automatic addresses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stockade.domain import errors
from stockade.domain.tags import Tags

#: The resource setting holding an address's PTR record (its domain name).
PTR_RECORD = "ptr-record"
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)\Z")


def ptr_domain_name(value: str | None) -> str:
    """A PTR record's domain name as kept and shown: lower case, no final dot
    (ModifyAddressAttribute's ``DomainName``, and an imported ``PtrRecord``)."""
    if not value:
        raise errors.missing_parameter("DomainName")
    name = value.lower().removesuffix(".")
    if len(name) > 253 or not all(_LABEL.match(label) for label in name.split(".")):
        # [UNVERIFIED] AWS's wording for a malformed domain name.
        raise errors.invalid_value("DomainName", value, "It is not a valid domain name.")
    return name


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
