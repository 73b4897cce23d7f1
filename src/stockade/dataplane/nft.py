"""Talking to nftables in a namespace: libnftables in-process, or the ``nft`` command.

Measured on the reference machine with a 1,000-port table: one ``add element`` costs
~0.6 ms through a long-lived libnftables context, ~13 ms through ``ip netns exec … nft -f -``
(process start plus a fresh cache). A libnftables context opens its netlink socket when it
is created, so creating it inside the namespace (:func:`stockade.dataplane.netns.entered`)
binds it there for good — no thread has to stay in the namespace. The library is loaded
with ctypes (Debian's ``libnftables1``), no Python package needed; when it is missing the
``nft`` command is used instead, with the same semantics (one transaction per call).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import shutil
import socket
import subprocess
import threading
from typing import Any

from pyroute2.netlink import NLM_F_DUMP, NLM_F_REQUEST
from pyroute2.netlink.nfnetlink.nftsocket import (
    NFT_MSG_GETGEN,
    NFT_MSG_GETTABLE,
    NFTSocket,
    nft_gen_msg,
    nft_table_msg,
)

from stockade.dataplane import netns


class NftError(RuntimeError):
    """nft refused a transaction (nothing of it was applied)."""


def _load() -> ctypes.CDLL | None:
    for name in ("libnftables.so.1", ctypes.util.find_library("nftables")):
        if not name:
            continue
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            continue
        lib.nft_ctx_new.restype = ctypes.c_void_p
        lib.nft_ctx_new.argtypes = [ctypes.c_uint32]
        lib.nft_ctx_free.argtypes = [ctypes.c_void_p]
        lib.nft_run_cmd_from_buffer.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
        lib.nft_run_cmd_from_buffer.restype = ctypes.c_int
        lib.nft_ctx_output_set_flags.argtypes = [ctypes.c_void_p, ctypes.c_uint]
        for fn in ("nft_ctx_buffer_output", "nft_ctx_buffer_error"):
            getattr(lib, fn).argtypes = [ctypes.c_void_p]
        for fn in ("nft_ctx_get_output_buffer", "nft_ctx_get_error_buffer"):
            getattr(lib, fn).argtypes = [ctypes.c_void_p]
            getattr(lib, fn).restype = ctypes.c_char_p
        return lib
    return None


_LIB = None if os.environ.get("STOCKADE_NFT_CLI") else _load()
_JSON_FLAG = 1 << 4  # NFT_CTX_OUTPUT_JSON


class Nft:
    """One namespace's nftables, one transaction per :meth:`run` call.

    Not shared between threads at once (a lock serialises callers).
    """

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        self._lock = threading.Lock()
        self._ctx: int | None = None
        self._json_ctx: int | None = None
        self._local = threading.local()  # nfnetlink sockets, one per thread (_netlink)
        self._sockets: list[NFTSocket] = []
        if _LIB is not None:
            with netns.entered(namespace):
                self._ctx = self._new_context(json_output=False)
                self._json_ctx = self._new_context(json_output=True)

    @property
    def backend(self) -> str:
        return "libnftables" if self._ctx is not None else "nft command"

    @staticmethod
    def _new_context(json_output: bool) -> int:
        assert _LIB is not None
        ctx = _LIB.nft_ctx_new(0)
        if not ctx:
            raise NftError("libnftables could not create a context")
        if json_output:
            _LIB.nft_ctx_output_set_flags(ctx, _JSON_FLAG)
        _LIB.nft_ctx_buffer_output(ctx)
        _LIB.nft_ctx_buffer_error(ctx)
        return ctx

    def run(self, text: str) -> str:
        """Apply ``text`` as one transaction; raise :class:`NftError` if it was refused."""
        return self._run(text, json_output=False)

    def query(self, text: str) -> dict[str, Any]:
        """Run a ``list …`` command and return its JSON."""
        out = self._run(text, json_output=True)
        return json.loads(out) if out.strip() else {"nftables": []}

    def _run(self, text: str, json_output: bool) -> str:
        with self._lock:
            ctx = self._json_ctx if json_output else self._ctx
            if ctx is None:
                return _run_cli(self.namespace, text, json_output)
            assert _LIB is not None
            rc = _LIB.nft_run_cmd_from_buffer(ctx, text.encode())
            out = (_LIB.nft_ctx_get_output_buffer(ctx) or b"").decode()
            err = (_LIB.nft_ctx_get_error_buffer(ctx) or b"").decode()
            if rc != 0:
                raise NftError(err.strip() or f"nft failed (rc={rc})")
            return out

    def generation(self) -> int:
        """The namespace's nftables ruleset generation: every committed transaction, ours
        or anyone's, moves it — so an unchanged generation means an unchanged ruleset."""
        (msg,) = self._netlink(nft_gen_msg(), NFT_MSG_GETGEN, NLM_F_REQUEST)
        return int(msg.get_attr("NFTA_GEN_ID"))

    def tables(self) -> set[str]:
        """Names of the namespace's tables (one netlink dump of tables only: ``list
        tables`` through libnftables fetches its whole cache — every chain, set and rule of
        a 1,000-interface table, ~0.4 s)."""
        return {
            msg.get_attr("NFTA_TABLE_NAME")
            for msg in self._netlink(nft_table_msg(), NFT_MSG_GETTABLE, NLM_F_REQUEST | NLM_F_DUMP)
        }

    def _netlink(self, msg: Any, kind: int, flags: int) -> list[Any]:
        """A read-only nfnetlink request in this namespace. pyroute2 0.9 binds a socket's
        netlink connection to the thread that uses it (another thread silently gets one in
        *its own* namespace), so each thread gets its own, opened inside the namespace."""
        sock = getattr(self._local, "socket", None)
        if sock is None:
            with netns.entered(self.namespace):
                sock = NFTSocket(nfgen_family=socket.AF_UNSPEC)
                self._local.socket = sock
                with self._lock:
                    self._sockets.append(sock)
        with netns.entered(self.namespace):  # whatever pyroute2 opens lazily, opens here
            return list(sock.request_get(msg, kind, msg_flags=flags))

    def close(self) -> None:
        """Release the netlink sockets (a namespace lives while a socket holds it)."""
        with self._lock:
            for sock in self._sockets:
                sock.close()
            self._sockets.clear()
            for ctx in (self._ctx, self._json_ctx):
                if ctx is not None and _LIB is not None:
                    _LIB.nft_ctx_free(ctx)
            self._ctx = self._json_ctx = None

    def __enter__(self) -> Nft:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _run_cli(namespace: str, text: str, json_output: bool) -> str:
    cmd = ["ip", "netns", "exec", namespace, "nft"] + (["-j"] if json_output else []) + ["-f", "-"]
    proc = subprocess.run(cmd, input=text, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise NftError(proc.stderr.strip() or f"nft failed (rc={proc.returncode})")
    return proc.stdout


#: What the rulesets need from the kernel and nft, checked once in a throwaway namespace.
_FEATURES = """\
table inet stk_probe {
  ct timeout t { protocol tcp; l3proto inet; policy = { established: 100 }; }
  set s { type ifname . ipv4_addr; }
  chain c {
    type filter hook forward priority 0; policy accept;
    meta l4proto 6 ct timeout set "t"
    meta l4proto { 6, 17 } ip saddr . meta l4proto . th dport vmap { 10.0.0.0/8 . 6 . 1-2 : accept }
    counter log prefix "x" group 7 snaplen 64 accept
  }
  chain n { type nat hook prerouting priority -100; policy accept; }
}
"""


def nft_available() -> tuple[bool, str]:
    """Whether nftables can hold stockade's rulesets here (tried in a scratch namespace)."""
    if _LIB is None and shutil.which("nft") is None:
        return False, "neither libnftables nor the nft command is installed"
    name = f"stk-probe{os.getpid()}-"
    try:
        netns.create(name)
    except OSError as exc:
        return False, f"cannot create a network namespace: {exc}"
    try:
        with Nft(name) as nft:
            nft.run(_FEATURES)
    except (NftError, OSError) as exc:
        return False, f"the kernel or nft lacks a feature stockade needs: {exc}"
    finally:
        netns.remove(name)
    return True, "nftables usable"


def usable() -> tuple[bool, str]:
    """Whether this process can build the simulated world, and why not if it cannot.

    It lives here, above :mod:`stockade.dataplane.netns`, because it needs both: namespaces
    (a scratch one) and nftables.
    """
    if os.geteuid() != 0:
        return False, "not running as root (namespaces and nftables need CAP_NET_ADMIN)"
    ok, why = nft_available()
    if not ok:
        return False, why
    return True, "root, network namespaces and nftables are available"
