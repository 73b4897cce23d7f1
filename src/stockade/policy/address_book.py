"""Which interface holds an address: the lookup both ``decide`` and the bulk path share.

Addresses can be ambiguous: VPCs may overlap, so two interfaces can hold one private
address, and an instance's public IP might equal some VPC's private address. One rule,
used everywhere, picks the holder: a public IP wins over a private address, and among
private ones the lowest interface id wins (``decide`` notes the ambiguity).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from stockade.domain.state import Snapshot
from stockade.policy.addressing import try_parse_address
from stockade.policy.cache import cached


@dataclass(frozen=True)
class Owner:
    eni_id: str
    kind: str  # public | private


def address_book(snapshot: Snapshot) -> Mapping[tuple[int, int], Owner]:
    """Which interface holds each address. A public IP wins over a private one; among
    overlapping private addresses (different VPCs) the lowest interface id wins."""

    def build() -> dict[tuple[int, int], Owner]:
        book: dict[tuple[int, int], Owner] = {}
        enis = sorted(snapshot.interfaces, key=lambda e: e.eni_id)
        for eni in enis:
            parsed = try_parse_address(eni.public_ip) if eni.public_ip else None
            if parsed is not None:
                book.setdefault(parsed, Owner(eni.eni_id, "public"))
        for eni in enis:
            for text in eni.private_addresses:
                parsed = try_parse_address(text) if text else None
                if parsed is not None:
                    book.setdefault(parsed, Owner(eni.eni_id, "private"))
        return book

    return cached(snapshot, "path.address_book", build)


def address_holders(snapshot: Snapshot) -> Mapping[tuple[int, int], tuple[str, ...]]:
    """Every interface holding each address (more than one: overlapping VPCs)."""

    def build() -> dict[tuple[int, int], tuple[str, ...]]:
        out: dict[tuple[int, int], list[str]] = {}
        for eni in sorted(snapshot.interfaces, key=lambda e: e.eni_id):
            texts = [eni.public_ip, *eni.private_addresses]
            for parsed in {try_parse_address(t) for t in texts if t} - {None}:
                out.setdefault(parsed, []).append(eni.eni_id)  # type: ignore[arg-type]
        return {k: tuple(v) for k, v in out.items()}

    return cached(snapshot, "path.address_holders", build)
