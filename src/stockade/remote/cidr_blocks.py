"""A VPC's blocks after creation through a stockade server: what
:class:`stockade.service.cidr_blocks.CidrBlockService` answers, over the EC2 API."""

from __future__ import annotations

from stockade.domain.network import Vpc
from stockade.remote.client import Remote
from stockade.remote.network import RemoteNetworkService


class RemoteCidrBlockService(Remote):
    """:class:`stockade.service.cidr_blocks.CidrBlockService`'s VPC calls, over the EC2 API."""

    @property
    def _network(self) -> RemoteNetworkService:
        return RemoteNetworkService(self.client, self.account, self.region)

    def associate_vpc_ipv4(self, vpc_id: str | None, cidr_block: str) -> tuple[Vpc, str]:
        answer = self.call("associate_vpc_cidr_block", VpcId=vpc_id, CidrBlock=cidr_block)
        block = answer["CidrBlockAssociation"]["CidrBlock"]
        return self._network.get_vpc(answer["VpcId"]), block

    def disassociate_vpc_block(self, association_id: str | None) -> tuple[Vpc, str]:
        """The VPC as it was is read before the call (the answer names only its id); an id
        no VPC holds goes to the server all the same, which refuses it with AWS's error."""
        held = [
            (vpc, block)
            for vpc in self._network.list_vpcs()
            if (block := vpc.block_of_association(association_id or "")) is not None
        ]
        answer = self.call("disassociate_vpc_cidr_block", AssociationId=association_id)
        if held:
            return held[0]
        # Associated by someone else between the two calls: the VPC as it now is.
        taken = answer.get("CidrBlockAssociation") or answer["Ipv6CidrBlockAssociation"]
        block = taken.get("CidrBlock") or taken["Ipv6CidrBlock"]
        return self._network.get_vpc(answer["VpcId"]), block
