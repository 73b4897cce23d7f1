"""The demo's ending: the web console's address, and (interactively) the demo kept up.

``make demo`` run from a terminal leaves the demo's world and its server, console
included, running until ^C, so one can go on looking at it in a browser; run by a script
or a test (stdin not a terminal) it prints the address and ends as it always did.
"""

from __future__ import annotations

import signal
import threading

from rich.console import Console


def hold(console: Console, url: str, keep: bool, live: bool) -> None:
    """Print the console's address; with ``keep``, wait here until ^C or SIGTERM, then
    return, so the caller's cleanup (the world, the server) runs either way."""
    what = "live traffic and probes on real packets" if live else "the analyzer (no data plane)"
    console.print(f"\n[bold]Web console[/]: {url} ({what})", highlight=False)
    if not keep:
        console.print(
            "The demo ends now; run `make demo` in a terminal to keep it running.",
            highlight=False,
        )
        return
    console.print("The demo keeps running until you press ^C.", highlight=False)

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        console.print("\nStopping the demo ...", highlight=False)
    finally:
        signal.signal(signal.SIGTERM, previous)
