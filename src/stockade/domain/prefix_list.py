"""Customer-managed prefix lists: versioned sets of CIDRs of one address family."""

from __future__ import annotations

from dataclasses import dataclass

from stockade.domain.tags import Tags

FAMILIES = ("IPv4", "IPv6")


@dataclass(frozen=True, order=True)
class PrefixListEntry:
    cidr: str  # canonical
    description: str | None = None


@dataclass(frozen=True)
class PrefixList:
    prefix_list_id: str
    name: str
    address_family: str  # IPv4 | IPv6
    max_entries: int
    version: int
    owner_id: str
    region: str
    entries: tuple[PrefixListEntry, ...] = ()  # the current version's entries
    state: str = "create-complete"
    tags: Tags = ()

    @property
    def weight(self) -> int:
        """What one reference costs against a group's rule quota (MaxEntries)."""
        return self.max_entries
