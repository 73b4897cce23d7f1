"""``decide_many``: verdicts for millions of flows, from the compiled tables.

Flows come as columns (a :class:`FlowBatch`): source and destination addresses (IPv4 and
IPv6, as two ``uint64`` halves), protocol number, destination port, ICMP type and code, and
the client's source port (``-1``: any of the ephemeral range, as a :class:`Flow` without
one) — which only the network ACLs read, on a TCP/UDP reply's way back to the client.
An address is an interface's (private or public) address or an external host, exactly as
when ``decide`` is given addresses; the verdicts are identical to ``decide``'s (property
tests), and for each flow the result names the deciding entry on each side — the lowest
matching entry, i.e. ``decide``'s first cited rule — and every blocking reason as flags.

Work is done in chunks so intermediate arrays stay in cache.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from stockade.domain import protocols
from stockade.domain.state import Snapshot
from stockade.policy.addressing import address_text
from stockade.policy.bulk_acl import AclFlows, acl_reasons
from stockade.policy.bulk_path import route_many
from stockade.policy.compile import EGRESS, INGRESS, CompiledPolicy, compile_policy
from stockade.policy.effective import EffectiveEntry
from stockade.policy.flow import Flow
from stockade.policy.nat_translation import refused_by_nat
from stockade.policy.reasons import Reason
from stockade.policy.tables import FamilyTables, packet_service

_U64 = np.uint64
_MASK64 = (1 << 64) - 1
CHUNK = 1 << 15


@dataclass(frozen=True)
class FlowBatch:
    """Flows as columns. IPv4 addresses live in ``*_lo`` with ``*_hi`` zero."""

    family: np.ndarray  # uint8: 4 or 6
    src_hi: np.ndarray  # uint64
    src_lo: np.ndarray
    dst_hi: np.ndarray
    dst_lo: np.ndarray
    protocol: np.ndarray  # uint8 (IANA number)
    port: np.ndarray  # uint16: TCP/UDP destination port (ignored otherwise)
    icmp_type: np.ndarray  # uint8
    icmp_code: np.ndarray  # uint8
    #: int32: TCP/UDP client port; -1 (and ignored for other protocols): the ephemeral range
    source_port: np.ndarray

    def __len__(self) -> int:
        return len(self.family)

    @classmethod
    def ipv4(
        cls,
        src: ArrayLike,
        dst: ArrayLike,
        protocol: ArrayLike,
        port: ArrayLike | None = None,
        icmp_type: ArrayLike | None = None,
        icmp_code: ArrayLike | None = None,
        source_port: ArrayLike | None = None,
    ) -> FlowBatch:
        """From IPv4 addresses as integers (e.g. ``uint32`` arrays)."""
        sources = np.asarray(src, _U64)
        zero = np.zeros(len(sources), _U64)
        return cls._make(
            np.full(len(sources), 4, np.uint8),
            zero,
            sources,
            zero,
            np.asarray(dst, _U64),
            protocol,
            port,
            icmp_type,
            icmp_code,
            source_port,
        )

    @classmethod
    def from_strings(
        cls,
        src: Sequence[str],
        dst: Sequence[str],
        protocol: ArrayLike,
        port: ArrayLike | None = None,
        icmp_type: ArrayLike | None = None,
        icmp_code: ArrayLike | None = None,
        source_port: ArrayLike | None = None,
    ) -> FlowBatch:
        """From address texts (either family, one family per flow)."""
        s = [ipaddress.ip_address(a) for a in src]
        d = [ipaddress.ip_address(a) for a in dst]
        if any(a.version != b.version for a, b in zip(s, d, strict=True)):
            raise ValueError("a flow's source and destination must be of the same family")
        return cls._make(
            np.array([a.version for a in s], np.uint8),
            *_halves(s),
            *_halves(d),
            protocol,
            port,
            icmp_type,
            icmp_code,
            source_port,
        )

    @classmethod
    def from_flows(cls, flows: Sequence[Flow]) -> FlowBatch:
        """From address-to-address flows with a concrete protocol (not ``-1``)."""
        numbers: list[int] = []
        for flow in flows:
            number = flow.protocol_number  # None for all traffic (-1)
            if number is None:
                raise ValueError("decide_many decides packets: give a concrete protocol")
            numbers.append(number)
        return cls.from_strings(
            [f.source for f in flows],
            [f.destination for f in flows],
            numbers,
            [f.port or 0 for f in flows],
            [f.icmp_type or 0 for f in flows],
            [f.icmp_code or 0 for f in flows],
            [-1 if f.source_port is None else f.source_port for f in flows],
        )

    @classmethod
    def _make(
        cls,
        family: np.ndarray,
        s_hi: np.ndarray,
        s_lo: np.ndarray,
        d_hi: np.ndarray,
        d_lo: np.ndarray,
        protocol: ArrayLike,
        port: ArrayLike | None,
        icmp_type: ArrayLike | None,
        icmp_code: ArrayLike | None,
        source_port: ArrayLike | None,
    ) -> FlowBatch:
        n = len(family)
        if source_port is not None and not np.all(
            (np.asarray(source_port) >= -1) & (np.asarray(source_port) <= 65535)
        ):
            raise ValueError("a source port is 0-65535 (or -1: any of the ephemeral range)")

        def column(values: ArrayLike | None, dtype: DTypeLike, absent: int = 0) -> np.ndarray:
            """One column of ``n`` values: absent means ``absent``, a scalar is repeated."""
            if values is None:
                return np.full(n, absent, dtype)
            out = np.asarray(values)
            if out.ndim == 0:
                out = np.full(n, out)
            return out.astype(dtype)

        return cls(
            family,
            s_hi,
            s_lo,
            d_hi,
            d_lo,
            column(protocol, np.uint8),
            column(port, np.uint16),
            column(icmp_type, np.uint8),
            column(icmp_code, np.uint8),
            column(source_port, np.int32, -1),
        )

    def flow(self, i: int) -> Flow:
        """Row ``i`` as a :class:`Flow` (what ``decide`` would be asked)."""
        family = int(self.family[i])
        src = _text(family, int(self.src_hi[i]), int(self.src_lo[i]))
        dst = _text(family, int(self.dst_hi[i]), int(self.dst_lo[i]))
        protocol = protocols.canonical_protocol(int(self.protocol[i]))
        if protocol in ("tcp", "udp"):
            client = int(self.source_port[i])
            port = int(self.port[i])
            return Flow(src, dst, protocol, port=port, source_port=None if client < 0 else client)
        if protocol in ("icmp", "icmpv6"):
            return Flow(
                src,
                dst,
                protocol,
                icmp_type=int(self.icmp_type[i]),
                icmp_code=int(self.icmp_code[i]),
            )
        return Flow(src, dst, protocol)


def _halves(
    addresses: Sequence[ipaddress.IPv4Address | ipaddress.IPv6Address],
) -> tuple[np.ndarray, np.ndarray]:
    values = [int(a) for a in addresses]
    return (
        np.array([v >> 64 for v in values], _U64),
        np.array([v & _MASK64 for v in values], _U64),
    )


def _text(family: int, hi: int, lo: int) -> str:
    return address_text(family, (hi << 64) | lo)


@dataclass(frozen=True)
class BulkDecisions:
    """Per flow: verdict, deciding entry per side (-1: none / not checked), reasons."""

    allowed: np.ndarray  # bool
    egress_rule: np.ndarray  # int64 global entry index (see CompiledPolicy.entries)
    ingress_rule: np.ndarray
    reasons: np.ndarray  # uint64 Reason flags
    compiled: CompiledPolicy

    def __len__(self) -> int:
        return len(self.allowed)

    def verdict(self, i: int) -> str:
        return "allowed" if self.allowed[i] else "denied"

    def rules(self, i: int) -> tuple[EffectiveEntry | None, EffectiveEntry | None]:
        """The deciding (egress, ingress) entries of flow ``i``."""
        return (
            self.compiled.entry(int(self.egress_rule[i])),
            self.compiled.entry(int(self.ingress_rule[i])),
        )

    def reason(self, i: int) -> Reason:
        return Reason(int(self.reasons[i]))


def decide_many(
    policy: Snapshot | CompiledPolicy, batch: FlowBatch, chunk: int = CHUNK
) -> BulkDecisions:
    """Decide every flow of ``batch``; a snapshot is compiled (and cached) first."""
    compiled = policy if isinstance(policy, CompiledPolicy) else compile_policy(policy)
    n = len(batch)
    allowed = np.zeros(n, bool)
    egress = np.full(n, -1, np.int64)
    ingress = np.full(n, -1, np.int64)
    reasons = np.zeros(n, _U64)
    service = packet_service(batch.protocol, batch.port, batch.icmp_type, batch.icmp_code)
    for family in (4, 6):
        rows = batch.family == family
        if not rows.any():
            continue
        index = None if rows.all() else np.flatnonzero(rows)
        for start in range(0, n if index is None else len(index), chunk):
            part = slice(start, start + chunk) if index is None else index[start : start + chunk]
            out = _decide_chunk(compiled, family, batch, service, part)
            allowed[part], egress[part], ingress[part], reasons[part] = out
    return BulkDecisions(allowed, egress, ingress, reasons, compiled)


def _decide_chunk(
    compiled: CompiledPolicy,
    family: int,
    batch: FlowBatch,
    service: np.ndarray,
    part: slice | np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    s_hi, s_lo = batch.src_hi[part], batch.src_lo[part]
    d_hi, d_lo = batch.dst_hi[part], batch.dst_lo[part]
    svc = service[part]
    path = route_many(compiled.topology, family, s_hi, s_lo, d_hi, d_lo)
    tables = compiled.v4 if family == 4 else compiled.v6
    f = 0 if family == 4 else 1
    reasons = path.reasons
    egress = _side(compiled, tables, f, EGRESS, path.src, path.check_egress, svc, d_hi, d_lo)
    ingress = _side(
        compiled,
        tables,
        f,
        INGRESS,
        path.dst,
        path.check_ingress,
        svc,
        path.ingress_hi,
        path.ingress_lo,
    )
    reasons[path.check_egress & (egress < 0)] |= _U64(Reason.EGRESS_DENIED.value)
    reasons[path.check_ingress & (ingress < 0)] |= _U64(Reason.INGRESS_DENIED.value)
    if path.nat is not None and path.cases is not None:
        reasons[refused_by_nat(path.cases, path.nat, svc)] |= _U64(Reason.NAT_PROTOCOL.value)
    if path.cases is not None and path.nat is not None and not compiled.acls.empty:
        client = batch.source_port[part]
        ported = ((svc >> _U64(16)) == 6) | ((svc >> _U64(16)) == 17)
        given = ported & (client >= 0)
        flows = AclFlows(
            family,
            path.cases,
            path.src,
            path.dst,
            path.nat,
            (s_hi, s_lo),
            (d_hi, d_lo),
            (path.ingress_hi, path.ingress_lo),
            svc,
            np.where(given, client, -1) if given.any() else None,
        )
        reasons |= acl_reasons(compiled.acls, flows)
    return reasons == 0, egress, ingress, reasons


def _side(
    compiled: CompiledPolicy,
    tables: FamilyTables,
    f: int,
    direction: int,
    eni: np.ndarray,
    check: np.ndarray,
    svc: np.ndarray,
    hi: np.ndarray,
    lo: np.ndarray,
) -> np.ndarray:
    """Global index of the lowest matching entry where ``check`` holds, else -1."""
    out = np.full(len(eni), -1, np.int64)
    if not check.any():
        return out
    which = None if check.all() else np.flatnonzero(check)
    if which is not None:
        eni, svc, hi, lo = eni[which], svc[which], hi[which], lo[which]
    coord = lo if f == 0 else tables.rank(hi, lo)
    local = tables.lookup(compiled.table[:, direction, f].take(eni), svc, coord)
    found = np.where(local >= 0, compiled.offset[:, direction].take(eni) + local, -1)
    if which is None:
        return found
    out[which] = found
    return out
