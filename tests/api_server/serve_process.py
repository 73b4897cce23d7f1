"""A real ``stockade serve`` process on a random loopback port, and raw-socket clients.

The defence tests need the server as deployed (its own process, uvicorn's protocol and
signal handling, its RSS measurable), not the in-thread server of conftest.py.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

_MAIN = "from stockade.cli.main import main; main()"


@dataclass
class ServeProcess:
    url: str
    process: subprocess.Popen
    db: Path
    log: Path

    @property
    def port(self) -> int:
        return urlparse(self.url).port or 80

    def rss_mb(self) -> float:
        """The server's resident set size, in MiB (from /proc)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise AssertionError("no VmRSS")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serve(tmp: Path, *args: str, db: Path | None = None) -> Iterator[ServeProcess]:
    """Start ``stockade serve --dataplane off`` with ``args``; stopped (and reaped) on exit."""
    db = db or tmp / "serve.db"
    log = tmp / f"serve-{time.monotonic_ns()}.log"
    port = _free_port()
    env = {**os.environ, "STOCKADE_DB": str(db)}
    cmd = [sys.executable, "-c", _MAIN, "serve", "--port", str(port), "--db", str(db),
           "--dataplane", "off", *args]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    server = ServeProcess(f"http://127.0.0.1:{port}", process, db, log)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise AssertionError(f"serve exited: {log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{server.url}/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("serve did not answer /health within 60 s")
            time.sleep(0.1)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def connect(url: str, timeout: float = 30) -> socket.socket:
    parts = urlparse(url)
    return socket.create_connection((parts.hostname, parts.port), timeout=timeout)


def read_answer(sock: socket.socket) -> tuple[int, bytes]:
    """Read one HTTP answer (status, whole bytes) until its body or the connection ends."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        (int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
         if line.lower().startswith(b"content-length:")),
        None,
    )  # fmt: skip
    while length is not None and len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/") else 0
    return status, head + b"\r\n\r\n" + body


def post_head(url: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    """A POST request's head (``Host`` and ``Content-Type`` included) followed by ``body``."""
    netloc = urlparse(url).netloc
    fields = {"Host": netloc, "Content-Type": "application/x-www-form-urlencoded", **headers}
    lines = "".join(f"{k}: {v}\r\n" for k, v in fields.items())
    return f"POST / HTTP/1.1\r\n{lines}\r\n".encode("latin-1") + body


def closed_within(sock: socket.socket, seconds: float) -> float | None:
    """Seconds until the server closed ``sock`` (reads discarded), or ``None`` if it did not."""
    started = time.monotonic()
    sock.settimeout(0.5)
    while time.monotonic() - started < seconds:
        try:
            if sock.recv(65536) == b"":
                return time.monotonic() - started
        except TimeoutError:
            continue
        except ConnectionError:
            return time.monotonic() - started
    return None
