"""Finding one root volume by its id (``lookups.volume``): the volume of a live instance of
the caller's scope, as DescribeVolumes shows it; ``InvalidVolume.NotFound`` for an id no
such instance's volume has (unknown, a terminated instance's, another account's), and
``InvalidVolumeID.Malformed`` for what is no volume id."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from stockade.domain.errors import AwsError
from stockade.domain.quotas import Quotas
from stockade.domain.scope import Scope
from stockade.domain.volume_modification_timeline import COMPLETED_AFTER
from stockade.domain.volumes import root_volume_id
from stockade.service import lookups
from stockade.service.bundle import Services
from stockade.service.context import ServiceContext
from stockade.service.contracts import LaunchRequest
from stockade.store.sql import SqlStore

OTHER = Scope(account="210987654321")


def _launch(svc: Services, count: int = 1) -> list[str]:
    vpc = svc.network.create_vpc("10.0.0.0/16")
    subnet = svc.network.create_subnet(vpc.vpc_id, "10.0.1.0/24")
    launched = svc.instances.run(
        LaunchRequest(min_count=count, max_count=count, subnet_id=subnet.subnet_id)
    )
    return [d.instance.instance_id for d in launched]


def _code(ctx: ServiceContext, volume_id: str) -> str:
    with ctx.read() as tx, pytest.raises(AwsError) as info:
        lookups.volume(tx, volume_id)
    return info.value.code


def test_a_volume_of_a_live_instance(ctx: ServiceContext) -> None:
    svc = Services(ctx)
    instance_ids = _launch(svc, 3)
    for iid in instance_ids:
        with ctx.read() as tx:
            found = lookups.volume(tx, root_volume_id(iid))
        [described] = svc.volumes.volumes([root_volume_id(iid)])
        assert found == described
        assert found.instance_id == iid


def test_unknown_malformed_terminated_and_foreign_volumes(
    ctx: ServiceContext, store: SqlStore
) -> None:
    svc = Services(ctx)
    kept, ended = _launch(svc, 2)
    svc.instances.terminate([ended])
    [foreign] = _launch(Services(ServiceContext(store, OTHER, Quotas())))
    assert _code(ctx, "vol-0123456789abcdef0") == "InvalidVolume.NotFound"
    assert _code(ctx, root_volume_id(ended)) == "InvalidVolume.NotFound"
    assert _code(ctx, root_volume_id(foreign)) == "InvalidVolume.NotFound"
    for malformed in ("volume-1", "", "vol-xyz"):
        assert _code(ctx, malformed) == "InvalidVolumeID.Malformed"
    with ctx.read() as tx:
        assert lookups.volume(tx, root_volume_id(kept)).instance_id == kept


def test_a_modified_volume_is_found_as_modified(ctx: ServiceContext) -> None:
    """ModifyVolume on the found volume: a second modification starts from the first."""
    svc = Services(ctx)
    [iid] = _launch(svc)
    volume_id = root_volume_id(iid)
    svc.volumes.modify(volume_id, size_gib=20)
    later = replace(ctx, clock=lambda: datetime.now(UTC) + COMPLETED_AFTER)
    second = Services(later).volumes.modify(volume_id, iops=4000)  # the first completed
    assert (second.original.size_gib, second.target.size_gib) == (20, 20)
    assert (second.original.iops, second.target.iops) == (3000, 4000)
    with ctx.read() as tx:
        found = lookups.volume(tx, volume_id)
    assert (found.size_gib, found.iops) == (20, 4000)
