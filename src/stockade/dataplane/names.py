"""Names of every kernel object the data plane makes, in one place.

Every namespace, veth and nft table carries the ``stk`` prefix (the safety rules in
DESIGN.md), so ``stockade down`` and test teardowns can find and remove exactly what
stockade made and nothing else. A *world* is one prefix: the default world is ``stk-``;
tests use ``stk<random>-`` so parallel runs and a developer's own world never collide.

Interface names are limited to 15 bytes (IFNAMSIZ), so router-side names are derived
from the last hex digits of the resource id, which are random in AWS-style ids.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

import platformdirs

#: Every object the data plane creates starts with this.
ROOT_PREFIX = "stk"
DEFAULT_PREFIX = "stk-"
#: The nft table in each VPC router namespace.
TABLE = "stk_vpc"
#: The second table of each router: drops every forwarded packet the VPC table did not
#: accept (so a missing VPC table fails closed).
GUARD_TABLE = "stk_guard"
#: Packet mark set by every accept of the VPC table's last filter chain.
ACCEPT_MARK = 0x5354
#: The router's link to the internet namespace (one per router namespace, so fixed).
IGW_LINK = "stkigw"
#: Router-side links to a peer VPC's router start with this (``p`` is never a hex digit,
#: so no instance port's name does).
PEER_LINK_PREFIX = "stkp"
#: First word of the marker every namespace of a world carries (see :attr:`World.marker`).
MARKER_TAG = "stockade"
#: NFLOG group the rulesets log to (groups are per network namespace).
LOG_GROUP = 7

_IFNAMSIZ = 15
_PREFIX_RE = re.compile(r"^stk[a-z0-9]{0,12}-$")


def default_state_dir() -> Path:
    """Where flow logs and last-hit times are written: ``$STOCKADE_DATAPLANE_DIR`` or
    ``<user data dir>/stockade/dataplane``."""
    env = os.environ.get("STOCKADE_DATAPLANE_DIR")
    return Path(env) if env else Path(platformdirs.user_data_dir("stockade")) / "dataplane"


def default_prefix() -> str:
    """``$STOCKADE_DATAPLANE_PREFIX`` or ``stk-`` (tests set their own)."""
    return os.environ.get("STOCKADE_DATAPLANE_PREFIX") or DEFAULT_PREFIX


def _tail(resource_id: str, length: int) -> str:
    return resource_id.rsplit("-", 1)[-1][-length:]


def _digest(text: str, length: int) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:length]


@dataclass(frozen=True)
class World:
    """The names of one simulated world (one prefix), and of its owner's marker.

    ``owner`` is the id of the store whose agent builds the world (:func:`store_id`); every
    namespace the world creates carries :attr:`marker`, so an agent prunes, and ``stockade
    down`` removes, only namespaces that say they are its own.
    """

    prefix: str = DEFAULT_PREFIX
    owner: str = ""

    def __post_init__(self) -> None:
        if not _PREFIX_RE.match(self.prefix):
            raise ValueError(
                f"world prefix {self.prefix!r} must look like 'stk-' or 'stk<letters/digits>-'"
            )

    # -- namespaces ------------------------------------------------------------------------

    def router(self, vpc_id: str) -> str:
        """The VPC router namespace: where the VPC's security groups are enforced."""
        return f"{self.prefix}{vpc_id}"

    def instance(self, instance_id: str) -> str:
        return f"{self.prefix}{instance_id}"

    @property
    def internet(self) -> str:
        return f"{self.prefix}internet"

    def host(self, address: str) -> str:
        """A transient internet host holding ``address``."""
        return f"{self.prefix}host-{address.replace(':', '_').replace('.', '-')}"

    @property
    def marker(self) -> str:
        """What marks a namespace as this world's, built for this owner (``lo``'s alias)."""
        return f"{MARKER_TAG} world={self.prefix} store={self.owner or '-'}"

    def owned_by(self, owner: str) -> World:
        return World(self.prefix, owner)

    def owns(self, namespace: str) -> bool:
        return namespace.startswith(self.prefix)

    def instance_id_of(self, namespace: str) -> str | None:
        rest = namespace[len(self.prefix) :] if self.owns(namespace) else ""
        return rest if rest.startswith("i-") else None

    # -- links (all in namespaces the world owns) ---------------------------------------------

    @staticmethod
    def port(eni_id: str) -> str:
        """Router side of an instance interface: ``stk`` + the id's last 12 hex digits."""
        return (ROOT_PREFIX + _tail(eni_id, _IFNAMSIZ - len(ROOT_PREFIX)))[:_IFNAMSIZ]

    @staticmethod
    def device(device_index: int | None) -> str:
        """Instance side: ``eth0`` for the primary interface, ``eth1``… for the others."""
        return f"eth{device_index or 0}"

    @staticmethod
    def uplink(vpc_id: str) -> str:
        """Internet-namespace side of a VPC's gateway link."""
        return "stkv" + _tail(vpc_id, _IFNAMSIZ - 4)

    @staticmethod
    def peering(peering_id: str) -> str:
        """Both ends of a peering's link (each in its VPC's router namespace)."""
        return PEER_LINK_PREFIX + _tail(peering_id, _IFNAMSIZ - len(PEER_LINK_PREFIX))

    @staticmethod
    def host_link(address: str) -> str:
        """Internet-namespace side of a transient host's link."""
        return "stkh" + _digest(address, _IFNAMSIZ - 4)


def store_id(store: str) -> str:
    """A short stable id of a store (its URL, password hidden) for namespace markers."""
    return _digest(store, 12)


def parse_marker(text: str | None) -> tuple[str, str] | None:
    """``(world prefix, store id)`` of a marker, or ``None`` when ``text`` is not one."""
    parts = (text or "").split()
    if len(parts) != 3 or parts[0] != MARKER_TAG:
        return None
    fields = dict(p.split("=", 1) for p in parts[1:] if "=" in p)
    if set(fields) != {"world", "store"}:
        return None
    return fields["world"], fields["store"]


def chain_id(resource_id: str) -> str:
    """A resource id as an nft identifier (``sg-0ab…`` → ``sg_0ab…``)."""
    return resource_id.replace("-", "_")


def mac_for(name: str) -> str:
    """A stable, locally administered unicast MAC for a router-side link."""
    raw = hashlib.sha1(name.encode()).digest()[:5]
    return "0a:" + ":".join(f"{b:02x}" for b in raw)
