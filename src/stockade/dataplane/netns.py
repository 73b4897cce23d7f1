"""Network namespaces: create, list, remove, and open sockets inside them.

A socket (netlink, nftables, TCP…) belongs to the namespace of the thread that created
it, for its whole life. So instead of forking a helper per operation, the data plane
briefly moves the *current thread* into a namespace (``setns``), opens what it needs, and
moves back (:func:`entered`); the sockets then work from any thread. Only the calling
thread moves — the process, and its other threads, stay where they are.

Namespace creation and removal use pyroute2 (``/run/netns`` bind mounts, as ``ip netns``).

A namespace's *marker* (which world and store made it, :attr:`World.marker`) is the alias
of its ``lo`` link: it lives inside the namespace, so it is created and removed with it,
cannot be left behind or go stale in some other directory, and ``ip -d link show lo``
shows it.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import threading
from collections.abc import Iterator
from pathlib import Path

from pyroute2 import IPRoute
from pyroute2 import netns as _netns

from stockade.dataplane.names import ROOT_PREFIX

CLONE_NEWNET = 0x40000000
RUN_DIR = Path("/run/netns")

_libc = ctypes.CDLL(None, use_errno=True)
_lock = threading.Lock()


def _setns(fd: int) -> None:
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


@contextlib.contextmanager
def entered(name: str) -> Iterator[None]:
    """Run the body with the current thread inside namespace ``name``."""
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    try:
        target = os.open(RUN_DIR / name, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        os.close(own)
        raise LookupError(f"network namespace {name} does not exist") from None
    try:
        _setns(target)
        try:
            yield
        finally:
            _setns(own)  # always come back, or this thread stays in the wrong world
    finally:
        os.close(target)
        os.close(own)


def _check(name: str) -> None:
    if not name.startswith(ROOT_PREFIX) or "/" in name:
        raise ValueError(f"refusing to touch namespace {name!r}: not a stockade namespace")


def exists(name: str) -> bool:
    return (RUN_DIR / name).exists()


def create(name: str, marker: str | None = None) -> None:
    """Create namespace ``name`` (``stk``-prefixed) carrying ``marker``; when it exists,
    only mark it if it carries no marker yet (one left unmarked by a crash between the
    two steps, or made before markers existed)."""
    _check(name)
    with _lock:
        fresh = not exists(name)
        if fresh:
            _netns.create(name)
    if marker is not None and (fresh or marker_of(name) is None):
        mark(name, marker)


def _loopback(ipr: IPRoute) -> int:
    return ipr.link_lookup(ifname="lo")[0]


def mark(name: str, marker: str) -> None:
    """Set namespace ``name``'s marker (its ``lo`` alias)."""
    with entered(name), IPRoute() as ipr:
        ipr.link("set", index=_loopback(ipr), ifalias=marker)


def marker_of(name: str) -> str | None:
    """Namespace ``name``'s marker, ``None`` when it has none or is gone."""
    try:
        with entered(name), IPRoute() as ipr:
            return ipr.get_links(_loopback(ipr))[0].get("IFLA_IFALIAS") or None
    except LookupError:
        return None


def remove(name: str) -> None:
    """Remove namespace ``name``; its links go with it (veth peers too)."""
    _check(name)
    with _lock:
        try:
            _netns.remove(name)
        except OSError as exc:
            if exc.errno != errno.ENOENT:
                raise


def listed(prefix: str) -> list[str]:
    """Namespaces whose name starts with ``prefix`` (which must start with ``stk``)."""
    _check(prefix)
    if not RUN_DIR.exists():
        return []
    return sorted(n for n in os.listdir(RUN_DIR) if n.startswith(prefix))


def remove_all(prefix: str) -> list[str]:
    """Remove every namespace whose name starts with ``prefix`` (a whole world); returns
    their names."""
    names = listed(prefix)
    for name in names:
        remove(name)
    return names


class Rtnl:
    """pyroute2's IPRoute inside one namespace, for the thread that created it.

    pyroute2 0.9 keeps its netlink socket *per thread*: an IPRoute used from another
    thread silently opens a new socket in that thread's namespace — the root namespace,
    typically. That must never happen here, so every call checks it runs on the owning
    thread and runs with the thread inside the namespace (so even a socket pyroute2 opens
    lazily lands in the right place).
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._owner = threading.get_ident()
        with entered(name):
            self._ipr = IPRoute()

    def __getattr__(self, attr: str):
        method = getattr(self._ipr, attr)
        if not callable(method):
            return method

        def call(*args, **kwargs):
            if threading.get_ident() != self._owner:
                raise RuntimeError(
                    f"the rtnetlink handle of {self.name} belongs to another "
                    "thread (pyroute2 would open a socket in this thread's "
                    "namespace)"
                )
            with entered(self.name):
                return method(*args, **kwargs)

        return call

    def close(self) -> None:
        if threading.get_ident() == self._owner:
            self._ipr.close()

    def __enter__(self) -> Rtnl:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def iproute(name: str) -> Rtnl:
    """rtnetlink inside namespace ``name`` for this thread (close it before removing the ns)."""
    return Rtnl(name)


def sysctl(name: str, settings: dict[str, str]) -> None:
    """Write ``/proc/sys/net/...`` settings inside namespace ``name``."""
    with entered(name):
        for key, value in settings.items():
            with open(f"/proc/sys/net/{key.replace('.', '/')}", "w") as f:
                f.write(value)
