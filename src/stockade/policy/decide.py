"""``decide(snapshot, flow)``: is a new connection allowed, and why — as AWS would answer.

A new connection needs the source interface's *egress* rules and the destination
interface's *ingress* rules to allow it (an external end has no groups to consult), on top
of a usable path (:mod:`stockade.policy.path`). Like Reachability Analyzer's blocked-path
analysis, a denial lists *every* blocking component — both sides when both block, and the
path problems too — each with the smallest change that would remove it, so one round of
fixes is enough.
"""

from __future__ import annotations

from stockade.domain.interface import NetworkInterface
from stockade.domain.state import Snapshot
from stockade.policy.acl_path import acl_crossings
from stockade.policy.addressing import address_text, host_cidr
from stockade.policy.decision import (
    AclStep,
    Blocker,
    Decision,
    PathKind,
    RuleRef,
    SideEvaluation,
    SuggestedRule,
    Verdict,
)
from stockade.policy.effective import Direction, policy_of
from stockade.policy.flow import Flow
from stockade.policy.match import matching_entries
from stockade.policy.nat_translation import nat_blocker
from stockade.policy.path import route
from stockade.policy.reasons import CODE, Reason

STATEFUL_NOTE = (
    "security groups are stateful: the replies of this connection are allowed whatever the "
    "rules in the other direction say"
)


def decide(snapshot: Snapshot, flow: Flow) -> Decision:
    """The verdict on ``flow`` in ``snapshot``, with the rules or the blockers behind it."""
    path = route(snapshot, flow)
    blockers: list[Blocker] = list(path.blockers)
    egress = ingress = None
    notes = list(path.notes)
    if path.kind is PathKind.HOST_LOCAL:
        notes.append(
            "both ends are on one instance: the traffic never leaves it, so no "
            "security group applies"
        )
    else:
        if path.source_eni is not None and path.egress_remote is not None:
            egress = evaluate(
                snapshot, path.source_eni, Direction.EGRESS, flow, path.family, path.egress_remote
            )
            if not egress.allowed:
                blockers.append(
                    _mismatch(
                        snapshot, path.source_eni, egress, flow, path.family, path.egress_remote
                    )
                )
        if path.destination_eni is not None and path.ingress_remote is not None:
            ingress = evaluate(
                snapshot,
                path.destination_eni,
                Direction.INGRESS,
                flow,
                path.family,
                path.ingress_remote,
            )
            if not ingress.allowed:
                blockers.append(
                    _mismatch(
                        snapshot,
                        path.destination_eni,
                        ingress,
                        flow,
                        path.family,
                        path.ingress_remote,
                    )
                )
    acls: tuple[AclStep, ...] = ()
    if path.acl is not None:
        if path.acl.nat_subnet is not None:
            untranslated = nat_blocker(flow, path.acl.nat_gateway_id)
            if untranslated is not None:
                blockers.append(untranslated)
        acls, acl_blockers = acl_crossings(snapshot, flow, path.acl)
        blockers.extend(acl_blockers)
    verdict = Verdict.DENIED if blockers else Verdict.ALLOWED
    if verdict is Verdict.ALLOWED and path.kind is not PathKind.HOST_LOCAL:
        notes.append(STATEFUL_NOTE)
    return Decision(
        flow,
        verdict,
        path.kind,
        path.source,
        path.destination,
        egress,
        ingress,
        tuple(blockers),
        tuple(notes),
        path.steps,
        acls,
    )


def evaluate(
    snapshot: Snapshot,
    eni: NetworkInterface,
    direction: Direction,
    flow: Flow,
    family: int,
    remote: int,
) -> SideEvaluation:
    """One interface's groups, one direction, against the flow's remote address."""
    policy = policy_of(snapshot, eni)
    entries = policy.entries(direction)
    hits = matching_entries(entries, flow, family, remote)
    rules: dict[str, RuleRef] = {}
    for i in hits:
        entry = entries[i]
        if entry.rule_id not in rules:
            rules[entry.rule_id] = RuleRef.of(entry, _group_name(snapshot, entry.group_id))
    return SideEvaluation(
        direction,
        eni.eni_id,
        policy.group_ids,
        address_text(family, remote),
        bool(hits),
        tuple(rules.values()),
        hits[0] if hits else None,
    )


def suggest(
    snapshot: Snapshot,
    eni: NetworkInterface,
    direction: Direction,
    flow: Flow,
    family: int,
    remote: int,
) -> SuggestedRule:
    """The smallest rule that allows ``flow`` on this side: exactly this service, one host."""
    from_port, to_port = flow.rule_ports
    group_id = eni.group_ids[0] if eni.group_ids else None
    name = _group_name(snapshot, group_id) if group_id else None
    return SuggestedRule(
        direction,
        group_id,
        name,
        flow.protocol,
        from_port,
        to_port,
        host_cidr(family, remote),
    )


def _mismatch(
    snapshot: Snapshot,
    eni: NetworkInterface,
    side: SideEvaluation,
    flow: Flow,
    family: int,
    remote: int,
) -> Blocker:
    direction = side.direction
    reason = Reason.EGRESS_DENIED if direction is Direction.EGRESS else Reason.INGRESS_DENIED
    groups = ", ".join(_label(snapshot, g) for g in side.group_ids) or "no security group"
    preposition = "from" if direction is Direction.INGRESS else "to"
    message = (
        f"no {direction.word} rule of {groups} on {eni.eni_id} allows {flow.service()} "
        f"{preposition} {side.remote}"
    )
    suggestion = suggest(snapshot, eni, direction, flow, family, remote)
    return Blocker(
        CODE[reason], reason, eni.eni_id, "network-interface", message, direction, suggestion
    )


def _group_name(snapshot: Snapshot, group_id: str) -> str | None:
    group = snapshot.group_by_id.get(group_id)
    return group.name if group else None


def _label(snapshot: Snapshot, group_id: str) -> str:
    name = _group_name(snapshot, group_id)
    return f"{group_id} ({name})" if name else group_id
