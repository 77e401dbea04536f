"""``python tools/outbound_clients.py``: what one outbound call costs the calling process, per async HTTP client, and
what each client puts on the wire.

A routed request costs the hub an outbound call on top of the inbound one, so the outbound client's CPU per call
bounds routed throughput. This measures it for the hub's own client (``hub/client.OutboundClient``: aiohttp behind
the outbound policy: address checked then connected, no redirects, one overall deadline, capped answers, per-party
limits) and for the well-kept async clients it could be built on, each with a keep-alive pool, against the same
loopback server (``loadtests/bare_app.py`` under granian, in its own processes, so its CPU is not counted), with the
same concurrency and request: a GET with the headers of a forwarded request, whose small JSON answer (an OCPI
envelope) is read whole. That server answers GET only; a routed authorization is a POST with a small body, which
adds the same few bytes to every client.

Clients that are not installed are reported as such (aiohttp comes with the ``bench`` extra; pyreqwest, a Rust
client, and aiosonic are not dependencies of the project: ``pip install pyreqwest aiosonic`` to compare them). The
figure is the process CPU time (every thread, a client's own threads included) divided by calls, median of rounds in
rotating order; the wall-clock rate is shown beside it.

Then each client, set up as it was measured, sends one GET to a loopback server that records the request as it
arrived (``probe``): the headers it added to those it was given (``Host`` apart), whether the given header names
arrived as given, and whether the path arrived byte for byte (it holds ``%2e%2e`` and ``/./``, which a client that
parses URLs the WHATWG way resolves). The hub's outbound policy needs all three: nothing added, nothing changed. The
hub's own client is aiohttp set up for that; the bare aiohttp, httpx and httpcore are in their default setup;
pyreqwest has redirects, the environment's proxy and decompression turned off, which is all it lets a caller turn
off. Everything listens on 127.0.0.1 and stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

HEADERS = [
    ("Authorization", "Token dG9rZW4="),
    ("X-Request-ID", "r1"),
    ("X-Correlation-ID", "c1"),
    ("OCPI-from-country-code", "NL"),
    ("OCPI-from-party-id", "ABC"),
    ("OCPI-to-country-code", "DE"),
    ("OCPI-to-party-id", "MSP"),
]

Call = Callable[[str], Awaitable[int]]
"""``url -> HTTP status``, the answer read whole."""


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _hub_client(stack: AsyncExitStack) -> Call:
    from reference_hub.hub.client import OutboundClient

    client = OutboundClient(
        deadline=10.0, max_answer=1_048_576, per_party=64, per_caller=64, per_sender=256, allow_private=True
    )
    stack.push_async_callback(client.close)

    async def call(url: str) -> int:
        answer = await client.call("GET", url, None, HEADERS)
        if not answer.ok:
            raise RuntimeError(answer.detail)
        return answer.status

    return call


async def _httpcore(stack: AsyncExitStack) -> Call:
    import httpcore

    pool = httpcore.AsyncConnectionPool(max_connections=256, keepalive_expiry=30.0)
    stack.push_async_callback(pool.aclose)

    async def call(url: str) -> int:
        async with asyncio.timeout(10.0):
            response = await pool.request("GET", url, headers=HEADERS)
        return response.status

    return call


async def _httpx(stack: AsyncExitStack) -> Call:
    import httpx

    client = httpx.AsyncClient(
        follow_redirects=False, timeout=10.0, limits=httpx.Limits(max_connections=256, keepalive_expiry=30.0)
    )
    stack.push_async_callback(client.aclose)

    async def call(url: str) -> int:
        response = await client.get(url, headers=HEADERS)
        return response.status_code

    return call


async def _aiohttp(stack: AsyncExitStack) -> Call:
    import aiohttp

    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=256, keepalive_timeout=30.0),
        timeout=aiohttp.ClientTimeout(total=10.0),
    )
    stack.push_async_callback(session.close)

    async def call(url: str) -> int:
        async with session.get(url, headers=HEADERS, allow_redirects=False) as response:
            await response.content.read(1_048_577)
            return response.status

    return call


async def _pyreqwest(stack: AsyncExitStack) -> Call:
    from datetime import timedelta

    from pyreqwest.client import ClientBuilder

    client = (
        ClientBuilder()
        .follow_redirects(False)
        .no_proxy()
        .gzip(False)
        .brotli(False)
        .zstd(False)
        .deflate(False)
        .max_connections(256)
        .timeout(timedelta(seconds=10))
        .build()
    )
    stack.push_async_callback(client.close)

    async def call(url: str) -> int:
        async with client.get(url).headers(HEADERS).build_streamed() as response:
            reader = response.body_reader
            while await reader.read(65_536):
                pass
            return int(response.status)

    return call


async def _aiosonic(stack: AsyncExitStack) -> Call:
    import aiosonic

    client = aiosonic.HTTPClient()
    stack.push_async_callback(client.aclose)
    headers = dict(HEADERS)

    async def call(url: str) -> int:
        response = await client.get(url, headers=headers, follow=False, timeouts=aiosonic.Timeouts(request_timeout=10))
        await response.content()
        return int(response.status_code)

    return call


CLIENTS: dict[str, tuple[str, Callable[[AsyncExitStack], Awaitable[Call]]]] = {
    "hub": ("the hub's OutboundClient (aiohttp + the outbound policy and limits)", _hub_client),
    "httpcore": ("httpcore AsyncConnectionPool, bare", _httpcore),
    "httpx": ("httpx AsyncClient", _httpx),
    "aiohttp": ("aiohttp ClientSession", _aiohttp),
    "pyreqwest": ("pyreqwest Client (Rust: reqwest on tokio), answer read in chunks", _pyreqwest),
    "aiosonic": ("aiosonic HTTPClient", _aiosonic),
}

PROBE_PATH = "/ocpi/2.3.0/receiver/tokens/NL/ABC/x/%2e%2e/./012345678/authorize"
"""Sent by every client in the probe: a client that parses URLs the WHATWG way resolves ``%2e%2e`` and ``/./``."""


async def _probe_one(name: str) -> dict[str, Any]:
    """What ``name`` put on the wire for one GET of :data:`PROBE_PATH` with :data:`HEADERS`."""
    arrived: list[bytes] = []

    async def record(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            arrived.append(await reader.readuntil(b"\r\n\r\n"))
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            arrived.append(b"")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(record, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with AsyncExitStack() as stack:
            call = await CLIENTS[name][1](stack)
            await call(f"http://127.0.0.1:{port}{PROBE_PATH}")
    finally:
        server.close()
        await server.wait_closed()
    return _read_request(arrived[0] if arrived else b"")


def _read_request(raw: bytes) -> dict[str, Any]:
    """The probe's verdict on one recorded request head."""
    lines = raw.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    path = parts[1] if len(parts) == 3 else ""
    names = [line.split(":", 1)[0] for line in lines[1:] if ":" in line]
    given = {k for k, _ in HEADERS}
    given_lower = {k.lower() for k in given}
    return {
        "added": sorted(n for n in names if n.lower() not in given_lower and n.lower() != "host"),
        "names_as_given": all(n in given for n in names if n.lower() in given_lower),
        "path_as_given": path == PROBE_PATH,
        "path_sent": path,
    }


def probe(names: list[str]) -> dict[str, dict[str, Any]]:
    """:func:`_probe_one` for each client of ``names``, each on a fresh event loop."""
    return {name: asyncio.run(_probe_one(name)) for name in names}


async def _round(name: str, url: str, calls: int, concurrency: int) -> dict[str, float]:
    async with AsyncExitStack() as stack:
        call = await CLIENTS[name][1](stack)
        for _ in range(50):  # connections open, code paths warm
            await call(url)
        left = calls

        async def worker() -> None:
            nonlocal left
            while left > 0:
                left -= 1
                status = await call(url)
                if status != 200:
                    raise RuntimeError(f"{name}: HTTP {status}")

        cpu, wall = time.process_time(), time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return {"cpu_us": cpu / calls * 1e6, "rps": calls / wall}


def _available(name: str) -> bool:
    try:
        __import__("reference_hub" if name == "hub" else name)  # each other client is its own module
    except ImportError:
        return False
    return True


def compare(calls: int = 3000, rounds: int = 3, concurrency: int = 16, results: Path | None = None) -> dict[str, Any]:
    """Start the loopback server, measure every installed client, stop the server; the figures per client."""
    port = _free_port()
    log = (results or ROOT / "loadtest-results") / "clients.server.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable, "-m", "granian", "--interface", "asgi", "--workers", "1", "--loop", "uvloop",
        "--host", "127.0.0.1", "--port", str(port), "loadtests.bare_app:app",
    ]  # fmt: skip
    with log.open("wb") as out:
        server = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}/ocpi/2.3.0/receiver/tokens/NL/ABC/012345678/authorize"
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError(f"the loopback server did not start; see {log}") from None
                time.sleep(0.2)
        names = [n for n in CLIENTS if _available(n)]
        missing = [n for n in CLIENTS if n not in names]
        runs: dict[str, list[dict[str, float]]] = {n: [] for n in names}
        try:
            import uvloop

            loop_factory: Any = uvloop.new_event_loop
        except ImportError:  # pragma: no cover - uvloop comes with granian's extra
            loop_factory = None
        for r in range(rounds):
            shift = r % len(names)
            for name in names[shift:] + names[:shift]:
                with asyncio.Runner(loop_factory=loop_factory) as runner:
                    runs[name].append(runner.run(_round(name, url, calls, concurrency)))
        sent = probe(names)
        figures = {
            n: {
                "label": CLIENTS[n][0],
                "cpu_us": round(statistics.median(x["cpu_us"] for x in runs[n]), 1),
                "rps": round(statistics.median(x["rps"] for x in runs[n])),
                "sends": sent[n],
            }
            for n in names
        }
        return {
            "calls": calls, "rounds": rounds, "concurrency": concurrency, "clients": figures,
            "not_installed": missing, "versions": _versions(names),
        }  # fmt: skip
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _versions(names: list[str]) -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in names:
        dist = "ocpi-hub" if name == "hub" else name
        try:
            found[name] = version(dist)
        except PackageNotFoundError:
            found[name] = "?"
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python tools/outbound_clients.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=3000, help="calls per client per round (default 3000)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, clients in rotating order (default 3)")
    parser.add_argument("--concurrency", type=int, default=16, help="calls under way at once (default 16)")
    parser.add_argument(
        "--probe", action="store_true", help="only what each installed client puts on the wire (no CPU figures)"
    )
    args = parser.parse_args(argv)
    if args.probe:
        names = [n for n in CLIENTS if _available(n)]
        sends = probe(names)
        print(json.dumps({"sends": sends, "not_installed": [n for n in CLIENTS if n not in names]}, indent=2))
        return 0
    print(json.dumps(compare(args.calls, args.rounds, args.concurrency), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
