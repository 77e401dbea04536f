"""The callback peer for the registration load test: a fast OCPI 2.3.0 party that answers versions and version
details for ANY token; with ``--authorizations FILE`` also the load-test eMSP of the authorize scenario. With
``--ocpi-version 2.2.1`` it speaks 2.2.1 instead (its paths and versions list), to measure traffic the hub
translates between versions.

During a credentials POST or PUT the target calls the registering party's versions URL and 2.3.0 details with token
B before it answers, so every registration under load needs a party that answers quickly. One peer serves all the
simulated parties: it accepts any ``Authorization: Token ...`` (and refuses a request without one with HTTP 401),
keeps connections alive, and counts what it served. A raw asyncio server (standard library only): fast enough that
the peer is never what a registration waits for.

    python -m loadtests.peer --port 9000          # prints "listening on http://127.0.0.1:9000/ocpi/versions"

``GET /stats`` returns the counts (``{"versions": n, "details": n, "authorize": n, "received": n, "clientinfo": n,
"clientinfo_ids": n, "unauthorized": n, "other": n}``).

It also takes ClientInfo PUTs under ``/ocpi/{version}/receiver/hubclientinfo/`` (not advertised: for partners a
measurement registers with that URL, as ``tools/clientinfo_fanout.py`` does) and counts them and their distinct
X-Request-IDs.

As the load-test eMSP (``--authorizations tokens.csv``, the ``uid,type,allowed`` file ``ocpi-hub seed-tokens
--export`` writes) it also advertises a tokens Sender and answers ``POST .../sender/tokens/{uid}/authorize?type=T``
from that table: an AuthorizationInfo with the listed ``allowed``, or HTTP 404 + 2004 for a token it does not know.

As a receiver of the push scenario (``--record``) it also advertises a locations Receiver, answers every PUT and
PATCH there with success, and records for each one the object id (the last path segment), the moment it arrived
(``time.time()``, the same clock as the load generator on this machine) and its X-Request-ID; ``GET /received``
returns them as ``[[id, epoch_seconds, x_request_id], ...]``. With ``--party`` given several times one process
serves one recording receiver per party, each on its own port and so its own URL (one line ``listening on ...`` each,
in order): the fan-out benchmark registers 50 receivers without starting 50 processes on a 2-core machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import socket
import sys
import time
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
    """Answers ``GET /ocpi/versions`` and ``GET /ocpi/{version}`` for any token, over HTTP/1.1 keep-alive."""

    def __init__(
        self,
        base_url: str,
        country: str = "ZZ",
        party: str = "PER",
        authorizations: str | None = None,
        record: bool = False,
        version: str = "2.3.0",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.version = version
        self.country, self.party = country.upper(), party.upper()
        self.authorizations = authorizations
        """The uid,type,allowed CSV, read at the first authorization (it may be written after the peer started, e.g.
        by ``ocpi-hub seed-tokens --export`` once this peer is registered as the eMSP)."""
        self._table: dict[tuple[str, str], str] | None = None
        self.counts = {
            "versions": 0,
            "details": 0,
            "authorize": 0,
            "received": 0,
            "clientinfo": 0,
            "clientinfo_ids": 0,
            "unauthorized": 0,
            "other": 0,
        }
        self.clientinfo_prefix = f"/ocpi/{version}/receiver/hubclientinfo/"
        self._clientinfo_ids: set[str] = set()
        self.record = record
        self.received: list[tuple[str, float, str]] = []
        self.stopping = False
        """Set when the process is told to stop: from then on a request is not answered (its connection is closed),
        so nothing is answered that the record written on exit would not hold (the sender retries it later)."""
        self.locations_prefix = f"/ocpi/{version}/receiver/locations/"
        self.versions = [{"version": version, "url": f"{self.base_url}/ocpi/{version}"}]
        endpoints = [
            {"identifier": "credentials", "role": "SENDER", "url": f"{self.base_url}/ocpi/{version}/credentials"},
            {"identifier": "credentials", "role": "RECEIVER", "url": f"{self.base_url}/ocpi/{version}/credentials"},
        ]
        self.details = {"version": version, "endpoints": endpoints}
        self.tokens_prefix = f"/ocpi/{version}/sender/tokens/"
        if authorizations is not None:
            tokens_url = f"{self.base_url}/ocpi/{version}/sender/tokens"
            endpoints.append({"identifier": "tokens", "role": "SENDER", "url": tokens_url})
        if record:
            locations_url = f"{self.base_url}{self.locations_prefix.rstrip('/')}"
            endpoints.append({"identifier": "locations", "role": "RECEIVER", "url": locations_url})

    def authorize(self, target: str) -> tuple[int, bytes]:
        path, _, query = target.partition("?")
        uid = path[len(self.tokens_prefix) : -len("/authorize")]
        token_type = next((v for k, _, v in (p.partition("=") for p in query.split("&")) if k == "type"), "RFID")
        if self._table is None:
            self._table = read_authorizations(self.authorizations or "")
        allowed = self._table.get((uid, token_type or "RFID"))
        self.counts["authorize"] += 1
        if allowed is None:
            return 404, _envelope(None, 2004, f"unknown token {uid}")
        token = {
            "country_code": self.country,
            "party_id": self.party,
            "uid": uid,
            "type": token_type,
            "contract_id": f"{self.country}-{self.party}-{uid}",
            "issuer": "Load-test eMSP",
            "valid": allowed == "ALLOWED",
            "whitelist": "NEVER",
            "last_updated": "2020-01-01T00:00:00Z",
        }
        return 200, _envelope({"allowed": allowed, "token": token, "authorization_reference": f"LT-{uid}"})

    def answer(self, method: str, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
        target = path
        path = path.split("?", 1)[0].rstrip("/")
        if self.record and method in ("PUT", "PATCH") and path.startswith(self.locations_prefix):
            if not headers.get("authorization", "").lower().startswith("token "):
                self.counts["unauthorized"] += 1
                return 401, _envelope(None, 2000, "Authorization: Token <base64 token> required")
            # .../locations/{country_code}/{party_id}/{location_id}[/{evse_uid}[/{connector_id}]]: the Location's id
            parts = path[len(self.locations_prefix) :].split("/")
            self.received.append((parts[2] if len(parts) > 2 else "", time.time(), headers.get("x-request-id", "")))
            self.counts["received"] += 1
            return 200, _envelope(None)
        if method == "PUT" and path.startswith(self.clientinfo_prefix):
            # Not advertised: a hub sends ClientInfo here only to partners registered with this URL (as
            # tools/clientinfo_fanout.py registers them). Counted, with the distinct X-Request-IDs beside the count.
            if not headers.get("authorization", "").lower().startswith("token "):
                self.counts["unauthorized"] += 1
                return 401, _envelope(None, 2000, "Authorization: Token <base64 token> required")
            self.counts["clientinfo"] += 1
            self._clientinfo_ids.add(headers.get("x-request-id", ""))
            self.counts["clientinfo_ids"] = len(self._clientinfo_ids)
            return 200, _envelope(None)
        if method == "GET" and path == "/received":
            return 200, json.dumps(self.received).encode()
        if (
            method == "POST"
            and self.authorizations is not None
            and path.startswith(self.tokens_prefix)
            and path.endswith("/authorize")
        ):
            scheme, _, credential = headers.get("authorization", "").partition(" ")
            if scheme.lower() != "token" or not credential.strip():
                self.counts["unauthorized"] += 1
                return 401, _envelope(None, 2000, "Authorization: Token <base64 token> required")
            return self.authorize(target)
        if method == "GET" and path == "/stats":
            return 200, json.dumps(self.counts).encode()
        if method == "GET" and path in ("/ocpi/versions", f"/ocpi/{self.version}"):
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
                if self.stopping:  # checked in the same step as answer(), which records: nothing slips between
                    return
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


def read_authorizations(path: str) -> dict[tuple[str, str], str]:
    """``(uid, type) -> allowed`` from a ``uid,type,allowed`` CSV (a header line is skipped)."""
    table = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            uid, _, rest = line.strip().partition(",")
            token_type, _, allowed = rest.partition(",")
            if uid and allowed and uid != "uid":
                table[(uid, token_type or "RFID")] = allowed
    return table


async def serve(
    host: str,
    port: int,
    public_url: str | None,
    *,
    party: str | list[str] = "ZZ/PER",
    authorizations: str | None = None,
    record: bool = False,
    version: str = "2.3.0",
    record_file: str | None = None,
) -> None:
    """Serve one peer per party, each on its own socket (``port`` for the first; any free port for the others), and
    print one ``listening on`` line per peer, in the order of ``party``."""
    parties = [party] if isinstance(party, str) else party
    servers = []
    peers: list[Peer] = []
    for index, one in enumerate(parties):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port if index == 0 else 0))
        country, _, party_id = one.partition("/")
        base_url = (public_url if index == 0 else None) or f"http://{host}:{sock.getsockname()[1]}"
        peer = Peer(base_url, country, party_id, authorizations, record, version)
        peers.append(peer)
        servers.append(await asyncio.start_server(peer.handle, sock=sock, backlog=1024))
        print(f"listening on {peer.base_url}/ocpi/versions", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def stopping() -> None:
        for peer in peers:
            peer.stopping = True
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping)
    async with contextlib.AsyncExitStack() as stack:
        for server in servers:
            await stack.enter_async_context(server)
        await stop.wait()
    if record_file:
        # What arrived, kept past the process: a receiver stopped on purpose (the fan-out benchmark's backlog step)
        # must not take its record with it, or what it got before stopping would count as missing.
        with open(record_file, "w", encoding="utf-8") as handle:
            json.dump({f"{p.country}/{p.party}": p.received for p in peers}, handle)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loadtests.peer", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="TCP port (default 0: any free port)")
    parser.add_argument("--public-url", help="base URL the peer advertises (default http://HOST:PORT)")
    parser.add_argument(
        "--authorizations", help="uid,type,allowed CSV: answer real-time authorizations as the load-test eMSP"
    )
    parser.add_argument(
        "--party",
        action="append",
        help="CC/PID of the eMSP named in its tokens (default ZZ/PER); given several times with --record, one "
        "recording receiver per party in this process, each on its own port (the fan-out phase of the benchmark)",
    )
    parser.add_argument(
        "--record", action="store_true", help="advertise a locations Receiver and record what arrives (push scenario)"
    )
    parser.add_argument("--record-file", help="with --record: on exit, write what each receiver got there (JSON)")
    parser.add_argument(
        "--ocpi-version", choices=("2.3.0", "2.2.1"), default="2.3.0", help="the one OCPI version it offers"
    )
    args = parser.parse_args(argv)
    if args.party and len(args.party) > 1 and not args.record:
        parser.error("several --party values need --record (one recording receiver each)")
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop comes with granian[uvloop]
        run = asyncio.run
    else:
        run = uvloop.run
    with contextlib.suppress(KeyboardInterrupt):
        run(
            serve(
                args.host,
                args.port,
                args.public_url,
                party=args.party or ["ZZ/PER"],
                authorizations=args.authorizations,
                record=args.record,
                version=args.ocpi_version,
                record_file=args.record_file,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
