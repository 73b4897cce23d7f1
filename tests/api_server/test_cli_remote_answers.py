"""The CLI through a server whose answer the shape reader cannot take: one line naming the
answer and the field, exit 1, never a traceback (before the one reader, a ``KeyError``)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from typer.testing import CliRunner

from stockade.cli.main import app

#: A DescribeVpcs answer whose VPC has no VpcId.
ANSWER = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<DescribeVpcsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
    b"<requestId>r-1</requestId><vpcSet><item><cidrBlock>10.0.0.0/16</cidrBlock>"
    b"<state>available</state><ownerId>123456789012</ownerId></item></vpcSet>"
    b"</DescribeVpcsResponse>"
)


class _Answers(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(ANSWER)))
        self.end_headers()
        self.wfile.write(ANSWER)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def broken_endpoint() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answers)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_unreadable_answer_is_one_line(broken_endpoint, monkeypatch, tmp_path):
    monkeypatch.setenv("STOCKADE_ENDPOINT", broken_endpoint)
    monkeypatch.setenv("STOCKADE_ACCOUNT", "123456789012")
    monkeypatch.setenv("STOCKADE_DB", str(tmp_path / "never-created.db"))
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    result = CliRunner().invoke(app, ["vpc", "list"])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    message = result.output.strip()
    assert "\n" not in message
    assert "unreadable answer from the server: the describe_vpcs answer: VpcId: missing" in (
        message
    )
