"""Alembic environment for the store, driven programmatically by :func:`upgrade_to_head`.

Online runs receive the caller's connection (already inside the caller's transaction, so
the version check, the DDL and the version stamp commit or roll back together); offline
(``--sql``) runs render SQL for ``config.attributes["dialect_name"]``.
"""

from __future__ import annotations

from alembic import context

from stockade.store.schema import metadata

config = context.config

if context.is_offline_mode():
    context.configure(
        dialect_name=config.attributes.get("dialect_name", "sqlite"),
        target_metadata=metadata,
        literal_binds=True,
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError(
            "stockade migrations run through stockade.store.migrations.upgrade_to_head()"
        )
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite can only alter tables by copying them; later migrations need batch mode.
        render_as_batch=connection.dialect.name == "sqlite",
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()
