"""The answer reader (``loadtests/answer_reader.py``) against a real HTTP server on a loopback port, whose answers
can go wrong in the ways the reader must notice: one byte changed, another length, a timestamp that is not a
time, chunked framing, a first answer that is not an OCPI success."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from loadtests.answer_reader import main

DATA = {"token": "t", "roles": [{"role": "CPO", "party_id": f"P{n:05d}", "country_code": "NL"} for n in range(20_000)]}
"""About 1 MB of answer: many reads per answer, as with a hub's real GET credentials."""


class _Target(ThreadingHTTPServer):
    daemon_threads = True
    mode = "good"
    served = 0

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # the reader hangs up on a wrong answer: expected
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the reader expects

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        server: _Target = self.server  # type: ignore[assignment]
        server.served += 1
        n, mode = server.served, server.mode  # the first two answers are the references of the two connections
        stamp = f"2026-12-05T12:00:{n % 60:02d}Z"
        envelope = {"data": DATA, "status_code": 1000, "timestamp": stamp}
        if mode == "refused":
            envelope = {"status_code": 2001, "status_message": "nope", "timestamp": stamp}
        body = json.dumps(envelope, separators=(",", ":")).encode()
        if n > 2 and mode == "byte" and n % 3 == 0:
            middle = len(body) // 2
            body = body[:middle] + (b"Q" if body[middle : middle + 1] != b"Q" else b"R") + body[middle + 1 :]
        if n > 2 and mode == "length":
            body = body.replace(b'"P00001"', b'"P000001"')
        if n > 2 and mode == "stamp":
            body = body.replace(stamp.encode(), b"not-a-time-at-all-X!")
        self.send_response(200 if mode != "refused" else 401)
        self.send_header("Content-Type", "application/json")
        if n > 2 and mode == "chunked":
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
            return
        self.send_header("Content-Length", "ten" if n > 2 and mode == "framing" else str(len(body)))
        self.end_headers()
        if n > 2 and mode == "framing":
            return
        # in small writes, the last one cutting the timestamp in two: the reader must join its pieces
        cut = body.rfind(stamp.encode()) + 5
        for part in (body[: cut // 2], body[cut // 2 : cut], body[cut:]):
            self.wfile.write(part)
            self.wfile.flush()


@pytest.fixture
def target() -> Iterator[_Target]:
    server = _Target(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _read(target: _Target, tmp_path: Path, *extra: str) -> tuple[int, dict[str, object]]:
    tokens = tmp_path / "tokens.txt"
    tokens.write_text("one\ntwo\n")
    out = tmp_path / "out.json"
    url = f"http://127.0.0.1:{target.server_address[1]}/ocpi/2.3.0/credentials"
    code = main(["--url", url, "--tokens", str(tokens), "--connections", "2", "--duration", "1", "--out", str(out)])
    return code, (json.loads(out.read_text()) if out.exists() else {})


def test_every_answer_equal_to_the_checked_one_but_its_timestamp_passes(target: _Target, tmp_path: Path) -> None:
    code, result = _read(target, tmp_path)
    assert code == 0
    assert result["failures"] == 0 and result["answers"] >= 2, result
    length = len(json.dumps({"data": DATA, "status_code": 1000, "timestamp": "2026-12-05T12:00:00Z"}).replace(" ", ""))
    assert result["answer_bytes"] == result["answers"] * length  # every byte of every answer was counted
    assert float(result["per_s"]) > 0 and float(result["p99_ms"]) >= float(result["p50_ms"]) > 0


@pytest.mark.parametrize(
    ("mode", "why"),
    [
        ("byte", "differ from the checked answer"),
        ("length", "bytes; the checked answer: HTTP 200"),
        ("stamp", "is not an RFC 3339 time"),
        ("chunked", "not framed by Content-Length"),
        ("framing", "Content-Length is not a number"),
    ],
)
def test_an_answer_that_differs_from_the_checked_one_is_a_failure(
    target: _Target, tmp_path: Path, mode: str, why: str
) -> None:
    target.mode = mode
    code, result = _read(target, tmp_path)
    assert code == 1
    assert int(result["failures"]) >= 1 and why in str(result["first_failure"]), result


def test_a_first_answer_that_fails_the_conformance_checks_stops_the_reader(target: _Target, tmp_path: Path) -> None:
    target.mode = "refused"
    code, result = _read(target, tmp_path)
    assert code == 1 and result == {}
    assert target.served == 1  # judged the first answer, asked for nothing more


def test_the_reader_only_targets_the_loopback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tokens = tmp_path / "tokens.txt"
    tokens.write_text("one\n")
    code = main(["--url", "http://192.0.2.10:8080/ocpi/2.3.0/credentials", "--tokens", str(tokens)])
    assert code == 2 and "loopback" in capsys.readouterr().err
