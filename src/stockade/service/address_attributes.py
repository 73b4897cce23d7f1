"""An Elastic IP's reverse DNS (PTR) record: DescribeAddressesAttribute,
ModifyAddressAttribute, ResetAddressAttribute.

AWS checks that the domain name's forward record points at the address before it sets
the PTR record; stockade runs no DNS, so a well-formed name is taken as it comes (and the
update is answered ``PENDING``, as AWS answers it). The name is kept as a setting of the
allocation, dropped when the address is released.
"""

from __future__ import annotations

from collections.abc import Sequence

from stockade.domain import errors
from stockade.domain.elastic_ip import PTR_RECORD, ElasticIp, ptr_domain_name
from stockade.service import lookups
from stockade.service.context import ServiceContext

DOMAIN_NAME = "domain-name"  # the one attribute AWS has


def check_attribute(attribute: str | None) -> None:
    if attribute is None:
        raise errors.missing_parameter("Attribute")
    if attribute != DOMAIN_NAME:
        raise errors.invalid_value("Attribute", attribute)


class AddressAttributeService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def ptr_records(self, allocation_ids: Sequence[str] = ()) -> list[tuple[ElasticIp, str | None]]:
        """The addresses (all, or those named) with the PTR record set on each, if any."""
        with self.ctx.read() as tx:
            if allocation_ids:
                found = [lookups.elastic_ip(tx, a) for a in dict.fromkeys(allocation_ids)]
            else:
                found = tx.list_elastic_ips()
            records = tx.list_settings(PTR_RECORD)
            return [(eip, records.get(eip.allocation_id)) for eip in found]

    def set_ptr_record(self, allocation_id: str | None, domain_name: str | None) -> ElasticIp:
        name = ptr_domain_name(domain_name)
        with self.ctx.write() as tx:
            eip = lookups.elastic_ip(tx, allocation_id)
            tx.set_setting(eip.allocation_id, PTR_RECORD, name)
            return eip

    def reset_ptr_record(self, allocation_id: str | None, attribute: str | None) -> ElasticIp:
        check_attribute(attribute)
        with self.ctx.write() as tx:
            eip = lookups.elastic_ip(tx, allocation_id)
            tx.set_setting(eip.allocation_id, PTR_RECORD, None)
            return eip
