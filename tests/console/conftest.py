"""The console tests' fixtures (defined in :mod:`console.console_helpers`)."""

from console.console_helpers import browser, seeded, seeded_shared

__all__ = ["browser", "seeded", "seeded_shared"]
