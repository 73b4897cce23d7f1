"""The seed scenario: a small, realistic VPC that every face of stockade is shown on.

- a VPC 10.0.0.0/16 with an attached internet gateway and a public subnet 10.0.1.0/24 (its
  route table ``public`` routes 0.0.0.0/0 to the gateway; the main table only has the local
  route) and, beside it, a private subnet 10.0.2.0/24 on the main table (no internet route);
- group ``web``: inbound HTTP tcp/80 from 0.0.0.0/0, SSH tcp/22 from 203.0.113.10/32
  (the user's own computer) and tcp/8080 from 0.0.0.0/0 (allowed, but nothing listens there
  in the demo: refused, not timed out), default outbound; instance ``web`` carries it, with
  a public IP;
- groups ``group-1``, ``group-2``, ``group-3`` (the issue's sg-1..3: AWS forbids names
  starting with ``sg-``); ``group-1`` allows inbound tcp/123 (NTP) from group-1 and group-2;
  instances ``A`` (group-1), ``B`` (group-2), ``C`` (group-3);
- a separate SSH-only group ``ssh-only`` (tcp/22 from the admin network 203.0.113.0/28);
- instance ``ntp`` carrying two groups: group-1 and ssh-only;
- instance ``app`` in the private subnet, carrying ``web`` and a public IP: its group admits
  HTTP from anywhere, yet the internet cannot reach it — no route to the gateway, either way
  — while ``web`` reaches it over the local route;
- a network ACL ``public`` on the public subnet: inbound #50 denies everything from a
  blocked network (198.51.100.128/25), #100 allows the rest, outbound #100 allows all — so a host
  of that network cannot reach ``web``'s HTTP though the group admits it from anywhere (an
  ACL's deny beats a group's allow; the request times out).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from stockade.domain.permissions import GroupPair, IpPermission
from stockade.domain.tags import check_tags
from stockade.service import contracts
from stockade.service.bundle import Services
from stockade.service.context import ServiceContext
from stockade.service.contracts import LaunchRequest, NetworkAclEntryRequest, RouteRequest

MY_COMPUTER = "203.0.113.10"  # the user's own computer: may SSH to web
OUTSIDER = "198.51.100.7"  # somebody else on the internet: may not
ADMIN_CIDR = "203.0.113.0/28"  # the admin network the ssh-only group admits
BLOCKED_NETWORK = "198.51.100.128/25"  # denied by the public subnet's network ACL
BLOCKED_HOST = "198.51.100.200"  # a host of it


@dataclass
class Seed:
    vpc_id: str
    subnet_id: str
    private_subnet_id: str
    igw_id: str
    public_route_table_id: str
    network_acl_id: str = ""  # the public subnet's ACL
    groups: dict[str, str] = field(default_factory=dict)  # name -> sg id
    instances: dict[str, str] = field(default_factory=dict)  # Name tag -> instance id


def _tcp(port: int, cidr: str | None = None, groups: tuple[str, ...] = (), desc: str | None = None):
    return IpPermission(
        "tcp",
        port,
        port,
        ip_ranges=((cidr, desc),) if cidr else (),
        groups=tuple(GroupPair(group_id=g, description=desc) for g in groups),
    )


def build_seed(ctx: ServiceContext | contracts.Services) -> Seed:
    """Build the seed through the local services of ``ctx`` — or through any services
    keeping the contract, such as :class:`stockade.remote.RemoteServices` (the data-plane
    demo builds it through the EC2 API that way)."""
    services: contracts.Services = Services(ctx) if isinstance(ctx, ServiceContext) else ctx
    net, groups, rules = services.network, services.groups, services.rules
    vpc = net.create_vpc("10.0.0.0/16", tags=check_tags([("Name", "seed")]))
    subnet = net.create_subnet(vpc.vpc_id, "10.0.1.0/24", tags=check_tags([("Name", "public")]))
    net.modify_subnet_attribute(subnet.subnet_id, map_public_ip_on_launch=True)
    igw = net.create_internet_gateway(tags=check_tags([("Name", "seed-igw")]))
    net.attach_internet_gateway(igw.igw_id, vpc.vpc_id)
    # A subnet is public because its route table sends 0.0.0.0/0 to the attached gateway
    # (the VPC's main table keeps only the local route, as AWS makes it).
    rtb = services.route_tables.create(
        vpc.vpc_id, tags=check_tags([("Name", "public")])
    ).table.route_table_id
    services.route_tables.create_route(rtb, RouteRequest.of("0.0.0.0/0", igw.igw_id))
    services.route_tables.associate(rtb, subnet_id=subnet.subnet_id)
    private = net.create_subnet(vpc.vpc_id, "10.0.2.0/24", tags=check_tags([("Name", "private")]))
    seed = Seed(vpc.vpc_id, subnet.subnet_id, private.subnet_id, igw.igw_id, rtb)
    seed.network_acl_id = _public_acl(services, vpc.vpc_id, subnet.subnet_id)

    def group(name: str, description: str) -> str:
        gid = groups.create(name, description, vpc.vpc_id).group.group_id
        seed.groups[name] = gid
        return gid

    web = group("web", "web servers")
    rules.authorize(
        web,
        [
            _tcp(80, "0.0.0.0/0", desc="HTTP from anywhere"),
            _tcp(22, f"{MY_COMPUTER}/32", desc="SSH from my computer"),
            # Allowed but nothing listens on it: the data-plane demo shows it *refused*
            # (a RST), where a port no rule allows *times out*.
            _tcp(8080, "0.0.0.0/0", desc="app port (nothing listening in the demo)"),
        ],
    )
    g1, g2 = group("group-1", "NTP servers (sg-1)"), group("group-2", "NTP clients (sg-2)")
    group("group-3", "unrelated (sg-3)")
    rules.authorize(g1, [_tcp(123, groups=(g1, g2), desc="NTP from group-1 and group-2")])
    ssh = group("ssh-only", "SSH from the admin network only")
    rules.authorize(ssh, [_tcp(22, ADMIN_CIDR, desc="SSH from admins")])

    instances = services.instances
    for name, gids, public, where in (
        ("web", (web,), True, subnet.subnet_id),
        ("A", (g1,), False, subnet.subnet_id),
        ("B", (g2,), False, subnet.subnet_id),
        ("C", (seed.groups["group-3"],), False, subnet.subnet_id),
        ("ntp", (g1, ssh), False, subnet.subnet_id),
        ("app", (web,), True, private.subnet_id),
    ):
        launched = instances.run(
            LaunchRequest(
                subnet_id=where,
                group_ids=gids,
                associate_public_ip=public,
                tags=check_tags([("Name", name)]),
            )
        )
        seed.instances[name] = launched[0].instance.instance_id
    return seed


def _public_acl(services: contracts.Services, vpc_id: str, subnet_id: str) -> str:
    """The public subnet's network ACL: the blocked network denied before everything else
    is allowed (a custom ACL denies all until entries are added)."""
    acls = services.network_acls
    acl = acls.create(vpc_id, tags=check_tags([("Name", "public")])).network_acl_id
    for number, egress, action, cidr in (
        (50, False, "deny", BLOCKED_NETWORK),
        (100, False, "allow", "0.0.0.0/0"),
        (100, True, "allow", "0.0.0.0/0"),
    ):
        acls.create_entry(
            acl, NetworkAclEntryRequest(number, egress, action, "-1", cidr_block=cidr)
        )
    current = next(
        a.association_id
        for found in acls.describe()
        for a in found.associations
        if a.subnet_id == subnet_id
    )
    acls.replace_association(current, acl)
    return acl
