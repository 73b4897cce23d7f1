"""Schema migrations, shipped inside the package and run programmatically.

Users never see alembic: :meth:`stockade.store.sql.SqlStore.open` calls
:func:`is_current` (one cheap query) and, only when the schema is behind, takes the
store's write lock and calls :func:`upgrade_to_head` on the locked connection, so two
processes opening a fresh database at once migrate it exactly once.

To author a migration (developers only), change ``schema.py``, then add
``versions/NNNN_<what>.py`` with ``down_revision`` set to the previous head (render the
operations with ``alembic.autogenerate.produce_migrations`` against a database at the
previous head, or write them by hand; ``script.py.mako`` is the template). Keep the two
in step: ``tests/store/test_migrations.py`` fails when the
migrated schema and ``schema.metadata`` differ.
"""

from __future__ import annotations

from functools import cache
from io import StringIO
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

MIGRATIONS_DIR = Path(__file__).resolve().parent


def alembic_config() -> Config:
    """An in-memory alembic configuration pointing at this directory (no alembic.ini)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


@cache
def head_revisions() -> frozenset[str]:
    """The revisions a fully migrated database is stamped with."""
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


@cache
def known_revisions() -> frozenset[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return frozenset(rev.revision for rev in script.walk_revisions())


def current_revisions(connection: Connection) -> frozenset[str]:
    """The revisions the database is stamped with (empty for a fresh database)."""
    return frozenset(MigrationContext.configure(connection).get_current_heads())


def is_current(connection: Connection) -> bool:
    """Whether the schema is at head; raises if the database is newer than this code."""
    current = current_revisions(connection)
    unknown = current - known_revisions()
    if unknown:
        raise RuntimeError(
            f"the database schema is at revision {', '.join(sorted(unknown))}, which this "
            "version of stockade does not know; upgrade stockade to open it"
        )
    return current == head_revisions()


def upgrade_to_head(connection: Connection) -> None:
    """Migrate inside the caller's (locked) transaction; the caller commits."""
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def offline_sql(dialect_name: str) -> str:
    """The full upgrade as SQL text for a dialect (checks migrations render anywhere)."""
    config = alembic_config()
    buffer = StringIO()
    config.output_buffer = buffer
    config.attributes["dialect_name"] = dialect_name
    command.upgrade(config, "head", sql=True)
    return buffer.getvalue()
