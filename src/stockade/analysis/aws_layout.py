"""Finding and sorting AWS CLI output files: ``DIR/[ACCOUNT/][REGION/]*.json``.

As Batfish does, a file is recognised by its top-level key (``SecurityGroups``,
``Reservations``…), never by its name, so ``aws ec2 describe-… > anything.json`` works. The
one exception is ``get-managed-prefix-list-entries``, whose output (``Entries``) carries no
prefix-list id: that file must be named after its list (``pl-….json``); and
describe-addresses-attribute shares describe-addresses' key (``Addresses``), told apart by
its items' ``PtrRecord``.

Directory levels are read by their look: twelve digits are an account, ``xx-name-N`` a
region. Whatever the path does not say is inferred later from the content (owner ids,
ARNs, availability zones). This module only reads files; parsing into domain objects is
:mod:`stockade.analysis.aws_parse`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from stockade.shapes.fields import ImportProblem, Node

ACCOUNT_RE = re.compile(r"^[0-9]{12}\Z")
REGION_RE = re.compile(r"^[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-[0-9]+\Z")
PREFIX_LIST_FILE_RE = re.compile(r"^pl-(?:[0-9a-f]{8}|[0-9a-f]{17})\Z")

#: top-level key -> the kind of document (what ``aws ec2`` call printed it)
KINDS = {
    "Vpcs": "vpcs",
    "Subnets": "subnets",
    "SecurityGroups": "groups",
    "SecurityGroupRules": "rules",
    "NetworkInterfaces": "interfaces",
    "Reservations": "instances",
    "InternetGateways": "internet_gateways",
    "PrefixLists": "prefix_lists",
    "Entries": "prefix_list_entries",
    "Addresses": "addresses",
    "NatGateways": "nat_gateways",
    "EgressOnlyInternetGateways": "egress_only_internet_gateways",
    "RouteTables": "route_tables",
    "NetworkAcls": "network_acls",
    "VpcPeeringConnections": "peerings",
    "DhcpOptions": "dhcp_options",
    "IamInstanceProfileAssociations": "profile_associations",
    "VolumesModifications": "volume_modifications",
}
#: describe-addresses-attribute prints ``Addresses`` too: its items carry ``PtrRecord``
ADDRESS_ATTRIBUTES = "address_attributes"
#: outputs of other describe calls that carry nothing security groups need
IGNORED = {
    "AvailabilityZones",
    "InstanceStatuses",
    "PlacementGroups",
    "Tags",
    "VpcEndpoints",
    "TransitGateways",
    "TransitGatewayAttachments",
    "CustomerGateways",
    "VpnConnections",
    "VpnGateways",
    "LoadBalancers",
    "TargetGroups",
    "Listeners",
}


@dataclass
class Bundle:
    """The documents of one directory, and the scope its path names (if it does)."""

    directory: str
    account: str | None = None
    region: str | None = None
    documents: dict[str, list[Node]] = field(default_factory=dict)
    #: prefix-list id -> its get-managed-prefix-list-entries document
    entries: dict[str, Node] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)

    def of(self, kind: str) -> list[Node]:
        return self.documents.get(kind, [])

    @property
    def empty(self) -> bool:
        return not self.documents and not self.entries


def read_layout(root: Path) -> list[Bundle]:
    """Every directory of ``root`` holding JSON files, as bundles (sorted by path)."""
    if not root.is_dir():
        raise ImportProblem(str(root), "", "not a directory")
    bundles: dict[Path, Bundle] = {}
    for path in sorted(root.rglob("*.json")):
        if not path.is_file():
            continue
        parent = path.parent
        if parent not in bundles:
            bundles[parent] = _bundle_for(root, parent)
        _add_file(bundles[parent], path, _display(root, path))
    found = [b for b in bundles.values() if not b.empty]
    if not found:
        raise ImportProblem(str(root), "", "no AWS CLI JSON output found (*.json)")
    return found


def _display(root: Path, path: Path) -> str:
    """The file as messages name it: relative to the directory given, with its name."""
    return str(Path(root.name) / path.relative_to(root))


def _bundle_for(root: Path, directory: Path) -> Bundle:
    levels = directory.relative_to(root).parts
    shown = str(Path(root.name, *levels))
    if len(levels) > 2:
        raise ImportProblem(shown, "", "too deep: the layout is DIR/[ACCOUNT/][REGION/]*.json")
    bundle = Bundle(shown)
    for i, level in enumerate(levels):
        if ACCOUNT_RE.match(level) and i == 0:
            bundle.account = level
        elif REGION_RE.match(level) and i == len(levels) - 1 and bundle.region is None:
            bundle.region = level
        else:
            expected = (
                "an account id (12 digits) or a region"
                if len(levels) == 1
                else ("an account id (12 digits)" if i == 0 else "a region (e.g. us-east-1)")
            )
            raise ImportProblem(shown, "", f"directory '{level}' is not {expected}")
    return bundle


def _add_file(bundle: Bundle, path: Path, shown: str) -> None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ImportProblem(shown, "", f"not UTF-8 text ({exc.reason})") from None
    except json.JSONDecodeError as exc:
        raise ImportProblem(shown, "", f"not valid JSON (line {exc.lineno}: {exc.msg})") from None
    except ValueError:  # Python refuses integers of more than 4,300 digits
        raise ImportProblem(
            shown, "", "holds an integer too large to be any AWS value (thousands of digits)"
        ) from None
    except RecursionError:
        raise ImportProblem(
            shown,
            "",
            "nested too deeply to be AWS CLI output (arrays or objects hundreds of levels deep)",
        ) from None
    if not isinstance(data, dict):
        raise ImportProblem(shown, "", "expected a JSON object (the output of aws ec2 describe-…)")
    if data.get("NextToken"):
        raise ImportProblem(
            shown,
            "NextToken",
            "present: this is one page of several; save the complete output (let the CLI "
            "paginate: no --max-items / --no-paginate)",
        )
    known = [key for key in data if key in KINDS]
    if len(known) > 1:
        raise ImportProblem(shown, "", f"holds several outputs at once ({', '.join(known)})")
    if not known:
        others = [key for key in data if key not in ("NextToken", "ResponseMetadata")]
        if others and all(key in IGNORED for key in others):
            bundle.ignored.append(f"{shown} ({', '.join(others)}) is not needed and was skipped")
            return
        raise ImportProblem(
            shown, "", "no recognised top-level key (expected one of " + ", ".join(KINDS) + ")"
        )
    key = known[0]
    node = Node(data, shown)
    if not isinstance(data[key], list):
        raise node.problem("expected a list", key)
    kind = KINDS[key]
    if kind == "addresses" and any(
        isinstance(item, dict) and "PtrRecord" in item for item in data[key]
    ):
        kind = ADDRESS_ATTRIBUTES
    if kind == "prefix_list_entries":
        stem = path.stem
        if not PREFIX_LIST_FILE_RE.match(stem):
            raise ImportProblem(
                shown,
                key,
                "get-managed-prefix-list-entries output carries no list id: name "
                "the file after its list (pl-….json)",
            )
        if stem in bundle.entries:
            raise ImportProblem(shown, key, f"a second entries file for {stem}")
        bundle.entries[stem] = node
        return
    bundle.documents.setdefault(kind, []).append(node)
