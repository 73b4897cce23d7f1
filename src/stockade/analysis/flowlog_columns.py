"""Arrow batches of aggregated flows → NumPy columns, without a Python object per row.

Text columns (addresses, interface ids, directions) are dictionary-encoded by Arrow: only
the *distinct* strings of a batch reach Python, once, and a persistent cache maps each to
an integer id; the rows become integer arrays. Everything downstream is vectorised.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_MASK64 = (1 << 64) - 1


class AddressIds:
    """Address text → a stable integer id, with its family and value as two uint64s."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.texts: list[str] = []
        self._family = np.zeros(1024, np.uint8)
        self._hi = np.zeros(1024, np.uint64)
        self._lo = np.zeros(1024, np.uint64)
        self.invalid = 0

    def id_of(self, text: str) -> int:
        found = self.ids.get(text)
        if found is not None:
            return found
        parsed = _parse(text)
        if parsed is None:
            self.ids[text] = -1
            self.invalid += 1
            return -1
        family, value, canonical = parsed
        n = len(self.texts)
        if n == len(self._family):
            self._family = np.resize(self._family, 2 * n)
            self._hi = np.resize(self._hi, 2 * n)
            self._lo = np.resize(self._lo, 2 * n)
        self._family[n], self._hi[n], self._lo[n] = family, value >> 64, value & _MASK64
        self.texts.append(canonical)
        self.ids[text] = n
        return n

    def encode(self, column: pa.Array) -> np.ndarray:
        """Id per row (``-1`` for null or unparsable)."""
        ids = self.ids

        def lookup(values: list) -> np.ndarray:
            found = [ids.get(v) for v in values]
            return np.array(
                [f if f is not None else self.id_of(v) for f, v in zip(found, values, strict=True)]
                or [-1],
                np.int64,
            )

        return encode_many(column, lookup)

    def family(self, ids: np.ndarray) -> np.ndarray:
        return np.where(ids >= 0, self._family[np.maximum(ids, 0)], 0)

    def hi(self, ids: np.ndarray) -> np.ndarray:
        return self._hi[np.maximum(ids, 0)]

    def lo(self, ids: np.ndarray) -> np.ndarray:
        return self._lo[np.maximum(ids, 0)]


def _parse(text: str) -> tuple[int, int, str] | None:
    """(family, value, canonical text); the IPv4 fast path avoids ``ipaddress``."""
    parts = text.split(".")
    if len(parts) == 4 and all(p.isdigit() and len(p) <= 3 for p in parts):
        a, b, c, d = (int(p) for p in parts)
        if max(a, b, c, d) <= 255:
            return 4, (a << 24) | (b << 16) | (c << 8) | d, f"{a}.{b}.{c}.{d}"
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    return address.version, int(address), str(address)


def encode(column: pa.Array, id_of: Callable[[str], int]) -> np.ndarray:
    """Map a text column through ``id_of`` (called once per distinct value)."""
    return encode_many(
        column, lambda values: np.array([id_of(v) for v in values] or [-1], np.int64)
    )


def encode_many(column: pa.Array, lookup: Callable[[list], np.ndarray]) -> np.ndarray:
    """Map a text column through ``lookup(distinct values) -> ids``."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    encoded = column.dictionary_encode()
    table = lookup(encoded.dictionary.to_pylist())
    indices = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
    return np.where(indices >= 0, table[np.maximum(indices, 0)], -1)


def ints(column: pa.Array, missing: int) -> np.ndarray:
    """An integer column as int64, nulls replaced by ``missing``."""
    return column.fill_null(missing).to_numpy(zero_copy_only=False).astype(np.int64)


@dataclass
class FlowColumns:
    """One batch of aggregated flows as arrays (ids refer to the caches)."""

    eni: np.ndarray  # interface index, -1 unknown
    interface_text: np.ndarray  # id into ``interfaces`` of the raw text (for unknown ones)
    raw_src: np.ndarray  # address ids of the record's own srcaddr/dstaddr
    raw_dst: np.ndarray
    src: np.ndarray  # address ids of the packet's addresses (pkt-* when logged)
    dst: np.ndarray
    srcport: np.ndarray  # -1 when not logged
    dstport: np.ndarray
    protocol: np.ndarray  # -1 when missing
    tcp_flags: np.ndarray  # -1 when not logged
    direction: np.ndarray  # 0 ingress, 1 egress, -1 not logged
    accepted: np.ndarray  # bool: ACCEPT and log-status OK
    rejected: np.ndarray  # bool
    no_data: np.ndarray  # bool: NODATA / SKIPDATA records
    records: np.ndarray
    packets: np.ndarray
    bytes: np.ndarray
    first: np.ndarray  # -1 when missing
    last: np.ndarray


def columns(
    batch: pa.RecordBatch,
    addresses: AddressIds,
    eni_index: dict[str, int],
    interface_ids: dict[str, int],
) -> FlowColumns:
    def text_id(value: str) -> int:
        return interface_ids.setdefault(value, len(interface_ids))

    interface_text = encode(batch.column("interface_id"), text_id)
    names = {i: t for t, i in interface_ids.items()}
    known = np.array([eni_index.get(names[i], -1) for i in range(len(names))] or [-1], np.int64)
    eni = np.where(interface_text >= 0, known[np.maximum(interface_text, 0)], -1)
    src_col, dst_col = batch.column("src"), batch.column("dst")
    src, dst = addresses.encode(src_col), addresses.encode(dst_col)
    raw_src_col, raw_dst_col = batch.column("raw_src"), batch.column("raw_dst")
    # Without pkt-* fields the raw columns are all null: the packet's addresses are the
    # record's, so reuse their ids instead of encoding the same strings twice.
    raw_src = (
        src
        if raw_src_col.null_count == len(raw_src_col)
        else addresses.encode(pc.coalesce(raw_src_col, src_col))
    )
    raw_dst = (
        dst
        if raw_dst_col.null_count == len(raw_dst_col)
        else addresses.encode(pc.coalesce(raw_dst_col, dst_col))
    )
    action = ints(batch.column("action"), 0)  # 1 ACCEPT, 2 REJECT (see flowlog_reader)
    status = ints(batch.column("log_status"), 1)  # 1 OK, 2 NODATA/SKIPDATA
    return FlowColumns(
        eni=eni,
        interface_text=interface_text,
        raw_src=raw_src,
        raw_dst=raw_dst,
        src=src,
        dst=dst,
        srcport=ints(batch.column("srcport"), -1),
        dstport=ints(batch.column("dstport"), 0),
        protocol=ints(batch.column("protocol"), -1),
        tcp_flags=ints(batch.column("tcp_flags"), -1),
        direction=ints(batch.column("flow_direction"), -1),
        accepted=(action == 1) & (status == 1),
        rejected=action == 2,
        no_data=status == 2,
        records=ints(batch.column("records"), 0),
        packets=ints(batch.column("packets"), 0),
        bytes=ints(batch.column("bytes"), 0),
        first=ints(batch.column("first"), -1),
        last=ints(batch.column("last"), -1),
    )
