"""Long-lived connections for the data-plane tests: an echo server in a namespace that
records what reached it and closes everything it opened, and the router's conntrack table.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import threading

from stockade.dataplane.probe import open_socket


class EchoServer:
    """TCP echo on ``ports`` (IPv4) in ``namespace``, until :meth:`close`.

    ``received`` holds every chunk that arrived, so a test can tell "the reply was lost"
    from "the request never arrived".
    """

    def __init__(self, namespace: str, *ports: int) -> None:
        self.received: list[bytes] = []
        self.peers: list[str] = []
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        for port in ports:
            server = open_socket(namespace, socket.AF_INET, socket.SOCK_STREAM)
            server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            server.bind(("0.0.0.0", port))
            server.listen(8)
            self._sockets.append(server)
            threading.Thread(target=self._accept, args=(server,), daemon=True).start()

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                conn, peer = server.accept()
            except OSError:
                return  # closed
            with self._lock:
                self._sockets.append(conn)
                self.peers.append(peer[0])
            threading.Thread(target=self._echo, args=(conn,), daemon=True).start()

    def _echo(self, conn: socket.socket) -> None:
        try:
            while data := conn.recv(1024):
                with self._lock:
                    self.received.append(data)
                conn.sendall(data)
        except OSError:
            return

    def close(self) -> None:
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()

    def __enter__(self) -> EchoServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect(namespace: str, address: str, port: int, timeout: float = 2.0) -> socket.socket:
    client = open_socket(namespace, socket.AF_INET, socket.SOCK_STREAM)
    client.settimeout(timeout)
    try:
        client.connect((address, port))
    except OSError:
        client.close()
        raise
    return client


def echoed_from(
    server: str, client: str, address: str, port: int, timeout: float = 2.0
) -> list[str]:
    """One round trip from ``client`` to ``address``:``port``, answered by an echo server in
    ``server``; the addresses the server saw the connection come from."""
    with EchoServer(server, port) as echo:
        with connect(client, address, port, timeout=timeout) as conn:
            conn.sendall(b"ping")
            assert conn.recv(16) == b"ping"
        return echo.peers


def conntrack(namespace: str, protocol: str) -> list[list[str]]:
    """The namespace's conntrack entries of ``protocol``, each split into fields."""
    out = subprocess.run(
        ["ip", "netns", "exec", namespace, "conntrack", "-L", "-p", protocol],
        capture_output=True,
        text=True,
        timeout=10,
    ).stdout
    return [line.split() for line in out.splitlines() if line.startswith(protocol)]
