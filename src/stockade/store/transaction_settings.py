"""Resource settings in the store (migration 0010): one JSON value per (resource, name).

What AWS keeps on a resource that stockade has no row of its own for (an instance's
monitoring and metadata options, a root volume's size, an Elastic IP's PTR record, a DHCP
options set's configurations) is kept here rather than as columns of tables other
families own; the services give each name its meaning and validate every value before it
is written. Values are JSON (plain dicts, lists, strings, numbers).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete, insert, select

from stockade.domain.tags import Tags
from stockade.store import schema as s
from stockade.store.transaction_core import TransactionCore, rows_with_tags, tags_joined

_S = s.resource_settings


class SettingsRepository(TransactionCore):
    """The settings methods of :class:`stockade.store.transaction.SqlTransaction`."""

    def settings_of(self, resource_id: str) -> dict[str, Any]:
        rows = self._c.execute(
            select(_S.c.name, _S.c.value).where(_S.c.resource_id == resource_id, self._in_scope(_S))
        )
        return {name: json.loads(value) for name, value in rows}

    def set_setting(self, resource_id: str, name: str, value: Any | None) -> None:
        """Replace one setting (``None`` removes it); the row takes this scope."""
        conn = self._write(resource_id)
        conn.execute(delete(_S).where(_S.c.resource_id == resource_id, _S.c.name == name))
        if value is not None:
            conn.execute(
                insert(_S).values(
                    resource_id=resource_id,
                    name=name,
                    value=json.dumps(value, sort_keys=True),
                    **self._scope_params(),
                )
            )

    def drop_settings(self, resource_id: str) -> None:
        """Every setting of a resource that is gone."""
        self._write(resource_id).execute(delete(_S).where(_S.c.resource_id == resource_id))

    def list_settings(self, name: str) -> dict[str, Any]:
        """This scope's values of one setting, by resource id."""
        rows = self._c.execute(
            select(_S.c.resource_id, _S.c.value)
            .where(self._in_scope(_S), _S.c.name == name)
            .order_by(_S.c.resource_id)
        )
        return {resource_id: json.loads(value) for resource_id, value in rows}

    def list_settings_with_tags(self, name: str) -> dict[str, tuple[Any, Tags]]:
        """This scope's values of one setting with their resources' tags (sorted by key), by
        resource id in id order: one query, for a resource whose setting is its whole
        state (a DHCP options set) and which is described with its tags."""
        rows = self._c.execute(
            tags_joined(_S.c.resource_id, _S.c.value, key=_S.c.resource_id)
            .where(self._in_scope(_S), _S.c.name == name)
            .order_by(_S.c.resource_id)
        ).all()
        settings, tags = rows_with_tags(rows, "resource_id")
        return {
            row.resource_id: (json.loads(row.value), tags.get(row.resource_id, ()))
            for row in settings
        }
