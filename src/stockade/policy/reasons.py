"""Why a flow is blocked: one flag per blocking condition, each with its explanation code.

Codes are VPC Reachability Analyzer explanation codes where one fits (so users can look
them up in AWS's documentation); a missing resource uses the EC2 API's own error code,
which is what AWS answers when a path names an id that does not exist.

The flags are an ``IntFlag`` so the bulk evaluator can report every reason of millions
of flows as one integer each, and the property tests can compare them with ``decide``.
"""

from __future__ import annotations

from enum import IntFlag, auto


class Reason(IntFlag):
    NONE = 0
    SOURCE_NOT_FOUND = auto()
    DESTINATION_NOT_FOUND = auto()
    SOURCE_NOT_ATTACHED = auto()
    DESTINATION_NOT_ATTACHED = auto()
    SOURCE_NOT_RUNNING = auto()
    DESTINATION_NOT_RUNNING = auto()
    SOURCE_NO_ADDRESS = auto()
    DESTINATION_NO_ADDRESS = auto()
    NO_INTERFACE = auto()
    UNKNOWN_IN_VPC = auto()
    DIFFERENT_VPC = auto()
    DESTINATION_VPC_NO_IGW = auto()
    DESTINATION_NOT_PUBLIC = auto()
    SOURCE_NOT_PUBLIC = auto()
    SOURCE_RFC1918 = auto()
    SOURCE_RFC6598 = auto()
    DESTINATION_RFC1918 = auto()
    DESTINATION_RFC6598 = auto()
    SPOOFED_SOURCE = auto()
    EGRESS_DENIED = auto()
    INGRESS_DENIED = auto()
    NO_ROUTE = auto()  # the source subnet's table has no route to the destination
    BLACKHOLE_ROUTE = auto()  # the route's target is gone or down
    ROUTE_NOT_MODELLED = auto()  # an appliance, VGW, TGW or endpoint target
    NAT_NOT_PUBLIC = auto()  # a private NAT gateway cannot reach the internet
    NAT_NO_ROUTE = auto()  # the NAT gateway's subnet has no route to an internet gateway
    PCX_TRANSIT = auto()  # a peering carries only addresses inside the peer VPC
    NO_RETURN_ROUTE = auto()  # the destination subnet does not route the reply back
    RETURN_ROUTE_BLACKHOLE = auto()  # … it does, to an internet gateway no longer attached
    ACL_REQUEST_DENIED = auto()  # a network ACL denies the request leaving or entering a subnet
    ACL_REPLY_DENIED = auto()  # … or its reply (stateless: the reply needs its own entry)
    NAT_PROTOCOL = auto()  # a NAT gateway translates only TCP, UDP and ICMP queries


#: Reachability-Analyzer-style explanation code of each reason.
CODE: dict[Reason, str] = {
    Reason.SOURCE_NOT_FOUND: "NotFound",  # refined to the EC2 error code by the resolver
    Reason.DESTINATION_NOT_FOUND: "NotFound",
    Reason.SOURCE_NOT_ATTACHED: "BAD_STATE_ATTACHMENT",
    Reason.DESTINATION_NOT_ATTACHED: "BAD_STATE_ATTACHMENT",
    Reason.SOURCE_NOT_RUNNING: "BAD_STATE",
    Reason.DESTINATION_NOT_RUNNING: "BAD_STATE",
    Reason.SOURCE_NO_ADDRESS: "ENI_ADDRESS_RESTRICTION",
    Reason.DESTINATION_NO_ADDRESS: "ENI_ADDRESS_RESTRICTION",
    Reason.NO_INTERFACE: "UNKNOWN_DESTINATION",
    Reason.UNKNOWN_IN_VPC: "UNKNOWN_DESTINATION",
    Reason.DIFFERENT_VPC: "NO_ROUTE_TO_DESTINATION",
    Reason.DESTINATION_VPC_NO_IGW: "NO_ROUTE_TO_DESTINATION",
    Reason.DESTINATION_NOT_PUBLIC: "IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS",
    Reason.SOURCE_NOT_PUBLIC: "IGW_PUBLIC_IP_ASSOCIATION_FOR_EGRESS",
    Reason.SOURCE_RFC1918: "IGW_SOURCE_ADDRESS_NOT_IN_RFC1918_INGRESS",
    Reason.SOURCE_RFC6598: "IGW_SOURCE_ADDRESS_NOT_IN_RFC6598_INGRESS",
    Reason.DESTINATION_RFC1918: "IGW_DESTINATION_ADDRESS_NOT_IN_RFC1918_EGRESS",
    Reason.DESTINATION_RFC6598: "IGW_DESTINATION_ADDRESS_NOT_IN_RFC6598_EGRESS",
    Reason.SPOOFED_SOURCE: "GATEWAY_REJECTS_SPOOFED_TRAFFIC",
    Reason.EGRESS_DENIED: "ENI_SG_RULES_MISMATCH",
    Reason.INGRESS_DENIED: "ENI_SG_RULES_MISMATCH",
    Reason.NO_ROUTE: "NO_ROUTE_TO_DESTINATION",
    Reason.BLACKHOLE_ROUTE: "BAD_STATE_ROUTE",
    Reason.ROUTE_NOT_MODELLED: "UNSUPPORTED_COMPONENT",
    Reason.NAT_NOT_PUBLIC: "IGW_PUBLIC_IP_ASSOCIATION_FOR_EGRESS",
    Reason.NAT_NO_ROUTE: "NO_ROUTE_TO_DESTINATION",
    Reason.PCX_TRANSIT: "PCX_REQUIRES_ADDRESS_IN_VPC_CIDR",
    Reason.NO_RETURN_ROUTE: "NO_ROUTE_TO_DESTINATION",
    Reason.RETURN_ROUTE_BLACKHOLE: "BAD_STATE_ROUTE",
    Reason.ACL_REQUEST_DENIED: "SUBNET_ACL_RESTRICTION",
    Reason.ACL_REPLY_DENIED: "SUBNET_ACL_RESTRICTION",
    # Reachability Analyzer analyses TCP and UDP only, so it names no code for this: the
    # configuration allows no path for such traffic
    Reason.NAT_PROTOCOL: "NO_PATH",
}

#: What each explanation code means (after AWS's Reachability Analyzer documentation).
MEANING: dict[str, str] = {
    "BAD_STATE": "This component is not in a functional state.",
    "BAD_STATE_ATTACHMENT": "The attachment between these components is not in a functional state.",
    "ENI_ADDRESS_RESTRICTION": "The network interface has no address of the flow's family.",
    "UNKNOWN_DESTINATION": "The path can't be extended because nothing is known about the "
    "destination.",
    "NO_ROUTE_TO_DESTINATION": "The route table does not have an applicable route to the "
    "destination resource.",
    "IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS": "Internet gateways reject inbound traffic with a "
    "destination address that is not the public IP address of a network interface in the VPC.",
    "IGW_PUBLIC_IP_ASSOCIATION_FOR_EGRESS": "Traffic can't reach the internet through the "
    "internet gateway if the source address is not paired with a public IP address.",
    "IGW_SOURCE_ADDRESS_NOT_IN_RFC1918_INGRESS": "Internet gateways reject inbound traffic with "
    "source addresses in the private IP address range (RFC 1918).",
    "IGW_SOURCE_ADDRESS_NOT_IN_RFC6598_INGRESS": "Internet gateways reject inbound traffic with "
    "source addresses in the shared IP address range (RFC 6598).",
    "IGW_DESTINATION_ADDRESS_NOT_IN_RFC1918_EGRESS": "Internet gateways reject outbound traffic "
    "with destination addresses in the private IP address range (RFC 1918).",
    "IGW_DESTINATION_ADDRESS_NOT_IN_RFC6598_EGRESS": "Internet gateways reject outbound traffic "
    "with destination addresses in the shared IP address range (RFC 6598).",
    "GATEWAY_REJECTS_SPOOFED_TRAFFIC": "Gateways reject traffic with spoofed addresses from the "
    "VPC.",
    "ENI_SG_RULES_MISMATCH": "The security groups on the network interface have no rule that "
    "allows the traffic.",
    "BAD_STATE_ROUTE": "The route is not in a functional state (a blackhole: its target is "
    "gone or down).",
    "SUBNET_ACL_RESTRICTION": "Traffic in or out of a subnet must be admitted by its network "
    "ACL; ACLs are stateless, so a reply needs its own entry (the client's ephemeral ports).",
    "UNSUPPORTED_COMPONENT": "The path goes through a component the analysis does not model.",
    "NO_PATH": "The configuration allows no path for this traffic (a NAT gateway translates "
    "only TCP, UDP and ICMP queries).",
    "PCX_REQUIRES_ADDRESS_IN_VPC_CIDR": "VPC peering connections carry only traffic to or from "
    "addresses inside the destination VPC's CIDR blocks (no transit).",
    "InvalidInstanceID.NotFound": "The instance does not exist.",
    "InvalidNetworkInterfaceID.NotFound": "The network interface does not exist.",
}

#: Reasons that concern the source end, the destination end, or the path between them.
SOURCE_SIDE = (
    Reason.SOURCE_NOT_FOUND
    | Reason.SOURCE_NOT_ATTACHED
    | Reason.SOURCE_NOT_RUNNING
    | Reason.SOURCE_NO_ADDRESS
    | Reason.EGRESS_DENIED
)
DESTINATION_SIDE = (
    Reason.DESTINATION_NOT_FOUND
    | Reason.DESTINATION_NOT_ATTACHED
    | Reason.DESTINATION_NOT_RUNNING
    | Reason.DESTINATION_NO_ADDRESS
    | Reason.INGRESS_DENIED
)


def names(flags: int) -> list[str]:
    """The names of the flags set in ``flags`` (for reports and test messages)."""
    return [r.name for r in Reason if r and r.value & flags and r.name]
