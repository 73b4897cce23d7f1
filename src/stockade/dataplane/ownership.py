"""One world, one owner: the lock an agent holds for its world, and removing a world.

A world (its prefix's namespaces under ``/run/netns``) is machine-wide, so its lock is too:
``/run/stockade/<prefix>.lock``, next to the namespaces on the same tmpfs, not in the
data-plane state dir — two agents given different ``STOCKADE_DATAPLANE_DIR`` still build
the same namespaces and must still exclude each other. The lock is an ``flock`` held for
the agent's life, so a killed agent releases it with its last file descriptor and a
restarted one takes it again; the file names the holder (pid, store) so that a refused
agent can say who holds the world. A clean release unlinks the file; ``acquire`` checks
that the file it locked is still the one at the path, so unlinking cannot let two agents
hold the lock at once.

The lock keeps a second agent from starting; the namespaces' markers
(:attr:`World.marker`) keep any agent from touching what it did not make.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from stockade.dataplane import netns
from stockade.dataplane.names import World, parse_marker

LOCK_DIR = Path("/run/stockade")
#: How long ``acquire`` keeps trying before refusing (a holder may be on its way out, or
#: a ``held`` probe may hold the lock shared for an instant).
RETRY_SECONDS = 0.5


@dataclass(frozen=True)
class Holder:
    """Who holds a world: the agent's pid and its store (URL, password hidden)."""

    pid: int | None
    store: str

    def describe(self, world: World) -> str:
        pid = f"pid {self.pid}" if self.pid else "an unknown process"
        return f"world {world.prefix} is held by the data-plane agent {pid} (store {self.store})"


class WorldHeld(RuntimeError):
    """Another agent holds the world (the message names it, in one line)."""

    def __init__(self, world: World, holder: Holder) -> None:
        super().__init__(holder.describe(world))
        self.holder = holder


def lock_path(world: World) -> Path:
    return LOCK_DIR / f"{world.prefix}.lock"


def _read_holder(path: Path) -> Holder:
    try:
        data = json.loads(path.read_text() or "{}")
    except (OSError, ValueError):
        data = {}
    pid = data.get("pid")
    return Holder(pid if isinstance(pid, int) else None, str(data.get("store", "unknown")))


class WorldLock:
    """The exclusive lock on one world, held from :meth:`acquire` to :meth:`release`."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.path = lock_path(world)
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self, store: str) -> None:
        """Take the world for ``store``, or raise :class:`WorldHeld` naming the holder."""
        LOCK_DIR.mkdir(mode=0o755, parents=True, exist_ok=True)
        deadline = time.monotonic() + RETRY_SECONDS
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                os.close(fd)
                if exc.errno not in (errno.EWOULDBLOCK, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    raise WorldHeld(self.world, _read_holder(self.path)) from None
                time.sleep(0.05)
                continue
            if _same_file(fd, self.path):
                break
            os.close(fd)  # locked a file its holder had just unlinked: take the new one
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"pid": os.getpid(), "store": store}).encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            self.path.unlink(missing_ok=True)  # while still locked: see the module docstring
        finally:
            os.close(self._fd)
            self._fd = None


def _same_file(fd: int, path: Path) -> bool:
    try:
        here, there = os.fstat(fd), os.stat(path)
    except FileNotFoundError:
        return False
    return (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)


def holder(world: World) -> Holder | None:
    """Who holds ``world`` now, ``None`` when no agent does (a shared probe of the lock)."""
    try:
        fd = os.open(lock_path(world), os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EACCES):
                raise
            return _read_holder(lock_path(world))
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


@dataclass(frozen=True)
class Removal:
    removed: list[str]
    left: list[str]  # the prefix's namespaces not marked as this world's


def remove_world(world: World) -> Removal:
    """Remove the namespaces marked as ``world``'s (whichever store made them); leave the
    others with its prefix alone. The caller checks :func:`holder` first."""
    removed, left = [], []
    for name in netns.listed(world.prefix):
        marked = parse_marker(netns.marker_of(name))
        if marked is not None and marked[0] == world.prefix:
            netns.remove(name)
            removed.append(name)
        else:
            left.append(name)
    return Removal(removed, left)
