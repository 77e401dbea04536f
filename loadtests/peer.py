"""The callback peer for the registration load test: a fast OCPI 2.3.0 party that answers versions and version
details for ANY token.

During a credentials POST or PUT the target calls the registering party's versions URL and 2.3.0 details with token
B before it answers, so every registration under load needs a party that answers quickly. One peer serves all the
simulated parties: it accepts any ``Authorization: Token ...`` (and refuses a request without one with HTTP 401),
keeps connections alive, and counts what it served. A raw asyncio server (standard library only): fast enough that
the peer is never what a registration waits for.

    python -m loadtests.peer --port 9000          # prints "listening on http://127.0.0.1:9000/ocpi/versions"

``GET /stats`` returns the counts (``{"versions": n, "details": n, "unauthorized": n, "other": n}``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import socket
import sys
from datetime import UTC, datetime

__all__ = ("Peer", "main")

_REASONS = {200: "OK", 401: "Unauthorized", 404: "Not Found", 400: "Bad Request"}


def _envelope(data: object | None, status_code: int = 1000, message: str | None = None) -> bytes:
    body: dict[str, object] = {
        "status_code": status_code,
        "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if data is not None:
        body["data"] = data
    if message:
        body["status_message"] = message
    return json.dumps(body, separators=(",", ":")).encode()


class Peer:
    """Answers ``GET /ocpi/versions`` and ``GET /ocpi/2.3.0`` for any token, over HTTP/1.1 keep-alive."""

    def __init__(self, base_url: str, country: str = "ZZ", party: str = "PER") -> None:
        self.base_url = base_url.rstrip("/")
        self.counts = {"versions": 0, "details": 0, "unauthorized": 0, "other": 0}
        self.versions = [{"version": "2.3.0", "url": f"{self.base_url}/ocpi/2.3.0"}]
        self.details = {
            "version": "2.3.0",
            "endpoints": [
                {"identifier": "credentials", "role": "SENDER", "url": f"{self.base_url}/ocpi/2.3.0/credentials"},
                {"identifier": "credentials", "role": "RECEIVER", "url": f"{self.base_url}/ocpi/2.3.0/credentials"},
            ],
        }

    def answer(self, method: str, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
        path = path.split("?", 1)[0].rstrip("/")
        if method == "GET" and path == "/stats":
            return 200, json.dumps(self.counts).encode()
        if method == "GET" and path in ("/ocpi/versions", "/ocpi/2.3.0"):
            scheme, _, credential = headers.get("authorization", "").partition(" ")
            if scheme.lower() != "token" or not credential.strip():
                self.counts["unauthorized"] += 1
                return 401, _envelope(None, 2000, "Authorization: Token <base64 token> required")
            if path == "/ocpi/versions":
                self.counts["versions"] += 1
                return 200, _envelope(self.versions)
            self.counts["details"] += 1
            return 200, _envelope(self.details)
        self.counts["other"] += 1
        return 404, _envelope(None, 2000, f"no {method} {path} on the load-test peer")

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                try:
                    method, target, version = lines[0].split(" ", 2)
                except ValueError:
                    return
                headers = {}
                for line in lines[1:]:
                    name, sep, value = line.partition(":")
                    if sep:
                        headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length", "0") or 0)
                if length:
                    await reader.readexactly(length)
                status, body = self.answer(method, target, headers)
                keep_alive = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
                writer.write(
                    (
                        f"HTTP/1.1 {status} {_REASONS.get(status, 'OK')}\r\n"
                        "Content-Type: application/json\r\n"
                        f"Content-Length: {len(body)}\r\n"
                        f"Connection: {'keep-alive' if keep_alive else 'close'}\r\n\r\n"
                    ).encode("latin-1")
                    + body
                )
                await writer.drain()
                if not keep_alive:
                    return
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


async def serve(host: str, port: int, public_url: str | None) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    peer = Peer(public_url or f"http://{host}:{sock.getsockname()[1]}")
    server = await asyncio.start_server(peer.handle, sock=sock, backlog=1024)
    print(f"listening on {peer.base_url}/ocpi/versions", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loadtests.peer", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="TCP port (default 0: any free port)")
    parser.add_argument("--public-url", help="base URL the peer advertises (default http://HOST:PORT)")
    args = parser.parse_args(argv)
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop comes with granian[uvloop]
        run = asyncio.run
    else:
        run = uvloop.run
    with contextlib.suppress(KeyboardInterrupt):
        run(serve(args.host, args.port, args.public_url))
    return 0


if __name__ == "__main__":
    sys.exit(main())
