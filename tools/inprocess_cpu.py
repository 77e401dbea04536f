"""``python tools/inprocess_cpu.py``: the hub's own CPU per request on its two hot paths, without the server around it.

``make bench`` measures whole processes under load on a machine it shares with the load generator, so its CPU per
request moves by tens of percent with whatever else runs. To tell whether a change to the hub's code helped, this
calls the hub's ASGI app directly from one uvloop process (32 requests at once, as the bench's users), so the figure
is the hub's Python work alone (no granian, no load generator) and steadier:

- ``authorize``: real-time authorization routed to the load-test eMSP (``loadtests/peer.py`` in its own process, over
  loopback, with the hub's real outbound client), 10% unknown uids, as the bench's authorize phase;
- ``floor``: the same requests to a one-route Litestar app whose handler forwards each POST to the same eMSP with a
  bare aiohttp ``ClientSession`` (keep-alive pool; no routing, no checks, no limits) and answers the eMSP's bytes as
  they came: what the web framework and the HTTP client cost, below which no routed authorization can go. The hub's
  figure minus this one is the OCPI work the hub does;
- ``tokens``: GET versions and version details with the seeded parties' tokens, 10% unknown tokens (HTTP 401);
- ``bare``: the same GETs on the bare endpoint (``loadtests/bare_app.py``), the reference.

The store is seeded the bench's way (``ocpi-hub seed``, ``seed-tokens``; 1,000 parties, or ``--parties``, e.g.
the bench's 100,000) in a temporary folder; for ``authorize`` and
``floor`` a hub is served once, only so the eMSP can register through the real handshake, and one eMSP process serves
every routed target of the run. Figures are process CPU time (``time.process_time``) per request, median of
``--rounds`` rounds after a warm-up; for the routed targets the eMSP's own CPU per request (from ``/proc``, whole
clock ticks, so a round of a few thousand requests is needed) is printed beside it. A target may be named more than
once (``authorize floor authorize floor``): the figures are then taken alternately, so a machine whose load changes
during the run moves both alike. ``--profile FILE`` writes a cProfile of the last round. Everything listens on
127.0.0.1 and stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import cProfile
import csv
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

Request = tuple[str, str, bytes, list[tuple[bytes, bytes]]]
CONCURRENCY = 32
WARM_UP = 300


def _auth(token: str) -> bytes:
    return b"Token " + base64.b64encode(token.encode())


async def _measure(
    app: Any, requests: Iterator[Request], count: int, rounds: int, profile: Path | None, peer_pid: int | None = None
) -> float:
    """Median CPU µs per request over ``rounds`` rounds of ``count`` requests, inside the app's lifespan; with
    ``peer_pid``, the median CPU µs per request of that process (the eMSP) is printed too."""
    from loadtests.bench import cpu_seconds

    events: asyncio.Queue[dict[str, str]] = asyncio.Queue()
    started = asyncio.Event()

    async def lifespan_send(message: dict[str, Any]) -> None:
        if message["type"].startswith("lifespan.startup"):
            started.set()

    lifespan = asyncio.create_task(
        app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, events.get, lifespan_send)
    )
    await events.put({"type": "lifespan.startup"})
    await started.wait()
    # The rounds below never wait, so the app's background tasks do not run during them: its token index must have
    # been read before they start, or a large store would be measured through the store's path instead.
    hub = getattr(app, "hub", None)
    index = None if hub is None else hub.auth.index
    waited = time.monotonic()
    while index is not None and not index.ready and not index.given_up:
        if time.monotonic() - waited > 120:
            print("  the token index was not read within 120 s: measuring through the store")
            break
        await asyncio.sleep(0.05)
    statuses: dict[int, int] = {}

    async def one(method: str, path: str, query: bytes, headers: list[tuple[bytes, bytes]]) -> None:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": query,
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8080),
            "state": {},
        }
        body_sent = False

        async def receive() -> dict[str, Any]:
            nonlocal body_sent
            if not body_sent:
                body_sent = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await asyncio.Event().wait()  # the client never disconnects
            raise AssertionError

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                statuses[message["status"]] = statuses.get(message["status"], 0) + 1

        await app(scope, receive, send)

    async def run(n: int) -> None:
        batch = [next(requests) for _ in range(n)]
        queue = iter(batch)

        async def user() -> None:
            for request in queue:
                await one(*request)

        await asyncio.gather(*(user() for _ in range(CONCURRENCY)))

    await run(WARM_UP)
    figures = []
    peer_figures = []
    for index in range(rounds):
        profiler = cProfile.Profile() if profile is not None and index == rounds - 1 else None
        statuses.clear()
        peer_cpu = 0.0 if peer_pid is None else cpu_seconds(peer_pid)
        cpu = time.process_time()
        if profiler:
            profiler.enable()
        await run(count)
        if profiler:
            profiler.disable()
            profiler.dump_stats(profile)  # type: ignore[arg-type]
        figures.append((time.process_time() - cpu) / count * 1e6)
        if peer_pid is not None:
            peer_figures.append((cpu_seconds(peer_pid) - peer_cpu) / count * 1e6)
    print(f"  answers of the last round: {dict(sorted(statuses.items()))}")
    if peer_figures:
        print(f"  the eMSP's own CPU: {statistics.median(peer_figures):.1f} µs per request")
    await events.put({"type": "lifespan.shutdown"})
    await lifespan
    return statistics.median(figures)


def _gets(tokens: list[str], rnd: random.Random) -> Iterator[Request]:
    while True:
        token = f"unknown-{rnd.getrandbits(64):016x}" if rnd.random() < 0.1 else rnd.choice(tokens)
        path = "/ocpi/versions" if rnd.random() < 0.5 else "/ocpi/2.3.0"
        yield (
            "GET",
            path,
            b"",
            [
                (b"host", b"127.0.0.1:8080"),
                (b"authorization", _auth(token)),
                (b"x-request-id", b"r1"),
                (b"x-correlation-id", b"c1"),
            ],
        )


def _authorizations(cpo: str, rows: list[list[str]], rnd: random.Random) -> Iterator[Request]:
    headers = [
        (b"host", b"127.0.0.1:8080"),
        (b"content-length", b"0"),
        (b"authorization", _auth(cpo)),
        (b"x-request-id", b"r1"),
        (b"x-correlation-id", b"c1"),
        (b"ocpi-from-country-code", b"AA"),
        (b"ocpi-from-party-id", b"000"),
    ]
    while True:
        if rnd.random() < 0.1:
            uid, kind = f"UNKNOWN{rnd.getrandbits(64):016X}", "RFID"
        else:
            uid, kind = rnd.choice(rows)[:2]
        yield "POST", f"/ocpi/2.3.0/sender/tokens/{uid}/authorize", f"type={kind}".encode(), headers


def floor_app(emsp_tokens_url: str) -> Any:
    """A one-route Litestar app that forwards every authorization to ``emsp_tokens_url`` (the eMSP's tokens Sender)
    with a bare aiohttp session and answers the eMSP's status and bytes as they came: the framework and the client,
    nothing of OCPI (no routing headers read, no party looked up, no URL checked, no limit, no deadline)."""
    import aiohttp
    from litestar import Litestar, post
    from litestar import Request as HttpRequest
    from litestar.response.base import ASGIResponse
    from litestar.types import Receive, Scope, Send

    pool: dict[str, aiohttp.ClientSession] = {}
    base = emsp_tokens_url.rstrip("/")

    class _Relayed(ASGIResponse):
        """The eMSP's answer sent as is (the hub answers a relayed authorization the same way)."""

        def __init__(self, status: int, body: bytes) -> None:
            self.status, self.body = status, body

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            headers = [(b"content-type", b"application/json"), (b"content-length", str(len(self.body)).encode())]
            await send({"type": "http.response.start", "status": self.status, "headers": headers})
            await send({"type": "http.response.body", "body": self.body, "more_body": False})

    @post("/ocpi/2.3.0/sender/tokens/{uid:str}/authorize")
    async def authorize(request: HttpRequest[Any, Any, Any]) -> _Relayed:
        uid = request.path_params["uid"]
        body = await request.body()
        query = request.scope["query_string"].decode()
        headers = {
            "Authorization": "Token Zmxvb3I=",
            "X-Request-ID": "r1",
            "X-Correlation-ID": request.headers.get("x-correlation-id", ""),
        }
        async with pool["session"].post(f"{base}/{uid}/authorize?{query}", data=body, headers=headers) as response:
            return _Relayed(response.status, await response.read())

    async def open_pool(_app: Litestar) -> None:
        pool["session"] = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256, keepalive_timeout=30.0))

    async def close_pool(_app: Litestar) -> None:
        await pool.pop("session").close()

    return Litestar(
        route_handlers=[authorize],
        on_startup=[open_pool],
        on_shutdown=[close_pool],
        signature_namespace={"HttpRequest": HttpRequest, "_Relayed": _Relayed},
        openapi_config=None,
        debug=False,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "targets",
        nargs="*",
        metavar="TARGET",
        help="authorize, floor, tokens or bare, each as often as wanted, measured in the order given (default:"
        " authorize floor tokens bare)",
    )
    parser.add_argument("--requests", type=int, default=10_000, help="requests per round (default 10,000)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, median reported (default 3)")
    parser.add_argument("--profile", type=Path, help="write a cProfile of the last round of each target here")
    parser.add_argument(
        "--parties",
        type=int,
        default=1_000,
        help="registered parties the store is seeded with (default 1,000; the bench's other size is 100,000)",
    )
    args = parser.parse_args(argv)
    targets = args.targets or ["authorize", "floor", "tokens", "bare"]
    unknown = set(targets) - {"authorize", "floor", "tokens", "bare"}
    if unknown:
        parser.error(f"unknown target(s): {', '.join(sorted(unknown))}")

    import uvloop

    from loadtests.bench import Bench, Settings

    hub_targets = any(target != "bare" for target in targets)
    if hub_targets:
        # The hub's app only when a target needs it: a count of ``bare`` alone under valgrind (``tools/instructions.py``
        # and its test) then does not start by importing it, a third of the start-up's instructions.
        from reference_hub.app import create_app
        from reference_hub.settings import load_settings

    rnd = random.Random(1)
    routed = [t for t in targets if t in ("authorize", "floor")]
    with tempfile.TemporaryDirectory(prefix="inprocess-cpu-") as tmp, contextlib.ExitStack() as stack:
        bench = Bench(Settings(rta_tokens=20_000), Path(tmp), Path(tmp) / "unused.md", "tools/inprocess_cpu.py")
        store, tokens_file = bench.seed("hub", args.parties)
        tokens = tokens_file.read_text().split()
        settings = (
            load_settings(store=store, allow_private_peers=True, auth_failure_limit=0, alive_after=0)
            if hub_targets
            else None
        )
        if routed:  # one eMSP for every routed target, registered with a hub served only for the handshake
            server = bench.hub("hub", store, args.parties, workers=1)
            stack.callback(server.stop)
            server.start()
            peer, table = stack.enter_context(bench.authorization_peer(server, store))
            server.stop()
            rows = [row for row in csv.reader(table.open()) if row and row[0] != "uid"]
            assert peer.proc is not None
            peer_pid = peer.proc.pid
        for count, target in enumerate(targets):
            profile = args.profile.with_suffix(f".{target}.{count}.prof") if args.profile else None
            print(f"{target}: {args.rounds} rounds of {args.requests} requests")
            if target in ("authorize", "floor"):
                emsp = f"{peer.base_url}/ocpi/2.3.0/sender/tokens"
                app = create_app(settings) if target == "authorize" else floor_app(emsp)
                requests = _authorizations(tokens[0], rows, rnd)
                figure = uvloop.run(_measure(app, requests, args.requests, args.rounds, profile, peer_pid))
            else:
                if target == "bare":
                    from loadtests.bare_app import app
                else:
                    app = create_app(settings)
                figure = uvloop.run(_measure(app, _gets(tokens, rnd), args.requests, args.rounds, profile))
            print(f"{target}: {figure:.1f} µs of CPU per request")
    return 0


if __name__ == "__main__":
    sys.exit(main())
