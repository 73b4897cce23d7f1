"""VPC peering connections through a stockade server."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from stockade.domain.peering import VpcPeeringConnection
from stockade.remote.client import Remote
from stockade.service.contracts import PeeringRequest
from stockade.shapes import read_peering, tag_list


class RemotePeeringService(Remote):
    """:class:`stockade.service.peering.PeeringService`, over the EC2 API."""

    def _read(self, shape: dict[str, Any], operation: str) -> VpcPeeringConnection:
        return read_peering.vpc_peering_connection(self.read(shape, operation), self.origin)

    def create(self, request: PeeringRequest) -> VpcPeeringConnection:
        specs = [{"ResourceType": "vpc-peering-connection", "Tags": tag_list(request.tags)}]
        shape = self.call(
            "create_vpc_peering_connection",
            VpcId=request.vpc_id,
            PeerVpcId=request.peer_vpc_id,
            PeerOwnerId=request.peer_owner_id,
            PeerRegion=request.peer_region,
            TagSpecifications=specs if request.tags else None,
        )["VpcPeeringConnection"]
        return self._read(shape, "create_vpc_peering_connection")

    def accept(self, pcx_id: str | None) -> VpcPeeringConnection:
        shape = self.call("accept_vpc_peering_connection", VpcPeeringConnectionId=pcx_id)
        return self._read(shape["VpcPeeringConnection"], "accept_vpc_peering_connection")

    def reject(self, pcx_id: str | None) -> VpcPeeringConnection:
        self.call("reject_vpc_peering_connection", VpcPeeringConnectionId=pcx_id)
        return self.describe([pcx_id or ""])[0]

    def delete(self, pcx_id: str | None) -> VpcPeeringConnection:
        self.call("delete_vpc_peering_connection", VpcPeeringConnectionId=pcx_id)
        return self.describe([pcx_id or ""])[0]

    def describe(self, pcx_ids: Sequence[str] = ()) -> list[VpcPeeringConnection]:
        return [
            self._read(p, "describe_vpc_peering_connections")
            for p in self.pages(
                "describe_vpc_peering_connections",
                "VpcPeeringConnections",
                VpcPeeringConnectionIds=list(pcx_ids) or None,
            )
        ]

    def modify_options(
        self,
        pcx_id: str | None,
        requester_dns: bool | None = None,
        accepter_dns: bool | None = None,
    ) -> VpcPeeringConnection:
        def options(value: bool | None) -> dict[str, bool] | None:
            return None if value is None else {"AllowDnsResolutionFromRemoteVpc": value}

        self.call(
            "modify_vpc_peering_connection_options",
            VpcPeeringConnectionId=pcx_id,
            RequesterPeeringConnectionOptions=options(requester_dns),
            AccepterPeeringConnectionOptions=options(accepter_dns),
        )
        return self.describe([pcx_id or ""])[0]
