"""The SQLite triggers that keep ``scope_counts`` (each scope's number of security groups)
in step with ``security_groups``: created by migration 0009, and again by any migration
that rebuilds ``security_groups`` (dropping a table drops its triggers). One text, so the
two cannot drift. PostgreSQL's trigger function lives in 0009: no later migration
rebuilds that table there.
"""

from __future__ import annotations

SQLITE_TRIGGERS = (
    """
    CREATE TRIGGER scope_counts_group_added AFTER INSERT ON security_groups
    BEGIN
        INSERT INTO scope_counts (account, region, security_groups)
        VALUES (NEW.account, NEW.region, 1)
        ON CONFLICT (account, region) DO UPDATE SET security_groups = security_groups + 1;
    END
    """,
    """
    CREATE TRIGGER scope_counts_group_removed AFTER DELETE ON security_groups
    BEGIN
        UPDATE scope_counts SET security_groups = security_groups - 1
        WHERE account = OLD.account AND region = OLD.region;
    END
    """,
    """
    CREATE TRIGGER scope_counts_group_moved AFTER UPDATE OF account, region ON security_groups
    WHEN OLD.account != NEW.account OR OLD.region != NEW.region
    BEGIN
        UPDATE scope_counts SET security_groups = security_groups - 1
        WHERE account = OLD.account AND region = OLD.region;
        INSERT INTO scope_counts (account, region, security_groups)
        VALUES (NEW.account, NEW.region, 1)
        ON CONFLICT (account, region) DO UPDATE SET security_groups = security_groups + 1;
    END
    """,
)
