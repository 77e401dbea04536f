"""How many large answers a server can give per second, when the client is not what sets the pace.

A 2.3.0 hub's GET credentials lists every party reachable through it: about 10 MB with 100,000 parties. Locust
parses and judges every answer whole (``loadtests/users.py``); on this 2-core machine that takes it 100 to 300 ms
per answer, so a Locust run measures the load generator, not the server. This reader measures the server:

1. For each of its connections it takes one token and GETs the answer once with an ordinary client, and judges it
   whole with the same checks the Locust users and the conformance harness use (envelope, success, ``data`` an
   object). That answer is the connection's *reference*.
2. Then each connection asks again and again, on one keep-alive HTTP/1.1 connection, for ``--duration`` seconds. It
   does not parse the answers: it compares every byte of each with the reference as the bytes arrive (a memory
   comparison, no copy), except the value of the envelope's ``timestamp``, which must be an RFC 3339 time of the
   same length. An answer with another status, another length or any other byte different is a failure.

So every answer is checked, whole, against one that was judged by the conformance checks: what the server sent
is exactly a valid answer, only a fresh one. A server whose answers legitimately vary between two requests by the
same caller (another field order, a timestamp of another length) gets failures from this reader, and its capacity
is then measured by the Locust run alone. It needs answers framed by Content-Length (not chunked).

    python -m loadtests.answer_reader --url http://127.0.0.1:8080/ocpi/2.3.0/credentials --tokens tokens.txt \\
        --connections 4 --duration 10

The target must be on this machine's loopback; the run is bounded by ``--duration`` and stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import ipaddress
import json
import re
import sys
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from loadtests import data
from loadtests.checks import Finding, exchange_of, expect_success

__all__ = ("Reference", "Result", "main", "read_answers", "reference_of")

_TIMESTAMP = re.compile(rb'"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)?"')
"""The envelope's timestamp value, quoted, as the reference's span must hold it in every answer."""
_HEAD_LIMIT = 64 * 1024
"""Response headers longer than this are a failure (the reader keeps them in memory until the blank line)."""


@dataclass
class Reference:
    """One connection's judged answer, and where its timestamp value lies (``[start, end)`` of ``body``)."""

    token: str
    body: bytes
    start: int
    end: int


@dataclass
class Result:
    answers: int = 0
    failures: int = 0
    first_failure: str = ""
    answer_bytes: int = 0
    window: list[float] = field(default_factory=list)
    """Wall-clock times (``time.time()``) of the first request and of the last answer's last byte."""
    per_s: float = 0.0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    connections: int = 0

    def fail(self, why: str) -> None:
        self.failures += 1
        self.first_failure = self.first_failure or why


@dataclass
class _Answered:
    status_code: int
    text: str | None
    headers: dict[str, str]


def _loopback(url: str) -> tuple[str, int, str]:
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"{url!r}: an http:// URL is needed")
    host = "127.0.0.1" if parts.hostname == "localhost" else parts.hostname
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"{url!r}: the reader only targets this machine's loopback (127.0.0.1, ::1, localhost)")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return host, parts.port or 80, path


def reference_of(url: str, token: str, timeout: float = 120) -> Reference:
    """GET ``url`` with ``token`` once, judge the answer whole, and find its timestamp value; a :class:`Finding`
    when the answer is not a valid OCPI success or its timestamp cannot be found in the bytes."""
    request = urllib.request.Request(url, headers={"Authorization": data.authorization(token)})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - loopback, checked
            status, body, headers = response.status, response.read(), dict(response.headers.items())
    except urllib.error.HTTPError as error:
        status, body, headers = error.code, error.read(), dict(error.headers.items())
    headers = {name.lower(): value for name, value in headers.items()}
    text = body.decode("utf-8", errors="replace")
    envelope = expect_success(exchange_of("GET", url, _Answered(status, text, headers)), data="object")
    stamp = json.dumps(envelope.get("timestamp")).encode()
    start = body.rfind(stamp)
    if not _TIMESTAMP.fullmatch(stamp) or start < 0:
        raise Finding("the envelope's timestamp is not an RFC 3339 time found as such in the answer", check="reader")
    return Reference(token, body, start, start + len(stamp))


class _Connection(asyncio.Protocol):
    """One keep-alive connection asking for the same answer until the deadline, each checked against its reference."""

    def __init__(self, ref: Reference, request: bytes, result: Result, deadline: float, times: list[float]) -> None:
        self.ref, self.request, self.result, self.deadline, self.times = ref, request, result, deadline, times
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None
        self.head = b""
        self.left: int | None = None  # body bytes still to come; None while reading the headers
        self.pos = 0
        self.ok = True
        self.stamp = bytearray()
        self.sent = 0.0
        self._why = ""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self._ask()

    def _ask(self) -> None:
        assert self.transport is not None
        self.sent = time.perf_counter()
        self.transport.write(self.request)

    def _stop(self, why: str | None = None) -> None:
        if why:
            self.result.fail(why)
        if self.transport is not None:
            self.transport.close()
        if not self.done.done():
            self.done.set_result(None)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self._stop("the server closed the connection" + (f" ({exc})" if exc else ""))

    def data_received(self, chunk: bytes) -> None:
        while chunk:
            if self.left is None:
                self.head += chunk
                end = self.head.find(b"\r\n\r\n")
                if end < 0:
                    if len(self.head) > _HEAD_LIMIT:
                        self._stop("response headers longer than 64 KiB")
                    return
                head, chunk = self.head[:end], self.head[end + 4 :]
                self.head = b""
                if not self._start(head):
                    return
            assert self.left is not None
            view = memoryview(chunk)[: self.left]
            self._compare(view)
            self.pos += len(view)
            self.left -= len(view)
            chunk = chunk[len(view) :] if len(view) < len(chunk) else b""
            if self.left == 0:
                self._finish()
                if self.done.done():
                    return

    def _start(self, head: bytes) -> bool:
        lines = head.split(b"\r\n")
        status = lines[0].split(b" ", 2)
        length = None
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                try:
                    length = int(value.strip())
                except ValueError:
                    self._stop(f"the answer's Content-Length is not a number: {value.strip()[:40]!r}")
                    return False
            elif name == b"transfer-encoding":
                self._stop("the answer is not framed by Content-Length (this reader cannot follow chunks)")
                return False
        if length is None:
            self._stop("the answer has no Content-Length")
            return False
        self.left, self.pos, self.stamp = length, 0, bytearray()
        self.ok = len(status) > 1 and status[1] == b"200" and length == len(self.ref.body)
        if not self.ok:
            code = status[1].decode("latin-1") if len(status) > 1 else "?"
            self._why = f"HTTP {code}, {length} bytes; the checked answer: HTTP 200, {len(self.ref.body)} bytes"
        return True

    def _compare(self, view: memoryview) -> None:
        """Compare ``view`` (the answer's bytes from ``self.pos``) with the reference, keeping the timestamp apart."""
        if not self.ok or not view:
            return
        ref, pos, end = self.ref, self.pos, self.pos + len(view)
        if end <= ref.start or pos >= ref.end:
            if not ref.body.startswith(view, pos):
                self.ok, self._why = False, f"bytes {pos} to {end} differ from the checked answer"
            return
        cut_in, cut_out = max(ref.start - pos, 0), min(ref.end - pos, len(view))
        self.stamp += view[cut_in:cut_out]
        before, after = view[:cut_in], view[cut_out:]
        if not ref.body.startswith(before, pos) or not ref.body.startswith(after, pos + cut_out):
            self.ok, self._why = False, f"bytes {pos} to {end} differ from the checked answer"

    def _finish(self) -> None:
        now = time.perf_counter()
        self.left = None
        result = self.result
        result.answers += 1
        result.answer_bytes += self.pos
        if self.ok and not _TIMESTAMP.fullmatch(self.stamp):
            self.ok, self._why = False, f"the timestamp {bytes(self.stamp)!r} is not an RFC 3339 time"
        if self.ok:
            self.times.append(now - self.sent)
        else:
            result.fail(self._why)
        if time.monotonic() < self.deadline:
            self._ask()
        else:
            self._stop()


async def read_answers(url: str, references: list[Reference], duration: float) -> Result:
    """One connection per reference, each asking for its answer again and again for ``duration`` seconds."""
    host, port, path = _loopback(url)
    result = Result(connections=len(references))
    times: list[float] = []
    loop = asyncio.get_running_loop()
    deadline = time.monotonic() + duration
    started = time.time()
    connections = []
    for ref in references:
        request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: {data.authorization(ref.token)}\r\n"
            "Accept: application/json\r\n\r\n"
        ).encode()
        _, connection = await loop.create_connection(
            functools.partial(_Connection, ref, request, result, deadline, times), host, port
        )
        connections.append(connection)
    try:
        await asyncio.wait_for(asyncio.gather(*(c.done for c in connections)), timeout=duration + 120)
    except TimeoutError:
        for connection in connections:
            connection._stop(None if connection.done.done() else f"no whole answer within {duration + 120:.0f} s")
    ended = time.time()
    result.window = [started, ended]
    result.per_s = result.answers / (ended - started) if ended > started else 0.0
    if times:
        latency = data.percentiles(1000 * t for t in times)  # the load tests' one nearest-rank rule
        result.p50_ms, result.p95_ms, result.p99_ms = latency["p50"], latency["p95"], latency["p99"]
    return result


def _run(work: Any) -> Result:
    try:
        import uvloop  # the hub's own loop: the reader's share of the CPU stays small
    except ImportError:  # pragma: no cover - uvloop is a dependency of the hub
        return asyncio.run(work)
    return uvloop.run(work)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m loadtests.answer_reader",
        description="Large answers per second from a loopback server, every answer compared byte for byte with one "
        "judged whole by the conformance checks (only the envelope's timestamp may differ).",
    )
    parser.add_argument("--url", required=True, help="the endpoint to GET, on 127.0.0.1, ::1 or localhost")
    parser.add_argument("--tokens", required=True, type=Path, help="credentials tokens, one per line")
    parser.add_argument("--connections", type=int, default=4, help="keep-alive connections, one token each")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of asking (default 10)")
    parser.add_argument("--out", type=Path, help="write the result as JSON here (else to stdout)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.connections < 1 or not 0 < args.duration <= 600:
        print("--connections must be at least 1 and --duration between 0 and 600 s", file=sys.stderr)
        return 2
    try:
        _loopback(args.url)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    tokens = args.tokens.read_text().split()[: args.connections]
    if len(tokens) < args.connections:
        print(f"{args.tokens} holds {len(tokens)} tokens; {args.connections} are needed", file=sys.stderr)
        return 2
    try:
        references = [reference_of(args.url, token) for token in tokens]
    except Finding as finding:
        print(f"the first answer failed its checks: {finding}", file=sys.stderr)
        return 1
    result = _run(read_answers(args.url, references, args.duration))
    text = json.dumps(asdict(result), indent=2)
    if args.out:
        args.out.write_text(text)
    else:
        print(text)
    return 0 if result.failures == 0 and result.answers else 1


if __name__ == "__main__":
    sys.exit(main())
