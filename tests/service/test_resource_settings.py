"""Settings AWS keeps on resources without a row of their own (migration 0010): scoped,
surviving a reopened store, and dropped with what they belong to."""

from __future__ import annotations

from pathlib import Path

from stockade.domain.quotas import Quotas
from stockade.domain.scope import Scope
from stockade.service.bundle import Services
from stockade.service.context import ServiceContext
from stockade.service.contracts import LaunchRequest
from stockade.service.instance_options import MetadataRequest
from stockade.store.sql import SqlStore


def _services(store: SqlStore, account: str = "123456789012") -> Services:
    return Services(ServiceContext(store, Scope(account=account), Quotas()))


def _launch(svc: Services) -> str:
    vpc = svc.network.create_vpc("10.0.0.0/16")
    subnet = svc.network.create_subnet(vpc.vpc_id, "10.0.1.0/24")
    [detail] = svc.instances.run(
        LaunchRequest(
            image_id="ami-0123456789abcdef0",
            instance_type="t3.micro",
            min_count=1,
            max_count=1,
            subnet_id=subnet.subnet_id,
        )
    )
    return detail.instance.instance_id


def test_instance_options_survive_a_reopened_store(tmp_path: Path):
    path = str(tmp_path / "stockade.db")
    store = SqlStore.open(path)
    svc = _services(store)
    iid = _launch(svc)
    svc.instance_options.set_monitoring([iid], True)
    svc.instance_options.modify_metadata_options(iid, MetadataRequest(http_tokens="required"))
    association = svc.instance_options.associate_profile(iid, None, "web")
    store.close()

    reopened = SqlStore.open(path)
    try:
        options = _services(reopened).instance_options.options()[iid]
        assert options.monitoring is True
        assert options.metadata.http_tokens == "required"
        assert options.profile == association
        # another account sees none of them
        assert _services(reopened, "210987654321").instance_options.options() == {}
    finally:
        reopened.close()
