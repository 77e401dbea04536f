"""``python tools/clientinfo_fanout.py``: what announcing a registration to every connected platform costs the hub.

Each registration (or departure) is announced by a ClientInfo PUT to every other connected platform with a
hubclientinfo Receiver: on a hub of 1,000 such platforms, 1,000 PUTs per registration. The handshake only stores one
announcement row; the delivery worker then swaps it for the PUTs and sends them. That work is off the handshake's
path but not off the hub's CPU, and the registration phase of ``loadtests/bench.py`` does not show it (its seeded
parties advertise no endpoints, and its callback peer no hubclientinfo Receiver).

This runs the hub's own services in this process (``hub/services.build_context``, a SQLite file, the real outbound
client and delivery worker) with ``--receivers`` partners whose hubclientinfo Receiver is the load-test peer
(``loadtests/peer.py``, its own process on 127.0.0.1, which counts the PUTs and their distinct X-Request-IDs), then
announces ``--announcements`` new platforms and lets the worker deliver everything. Reported: this process's CPU
time for planning the PUTs (the worker's expansion of each announcement, measured alone first) and for delivering
them, per announcement and per ClientInfo, and whether the peer got each PUT exactly once. It stops by itself.

With ``--swaps-per-s R`` it measures the attack instead: one connected platform swaps its party id (NL/SWA, NL/SWB)
R times a second for ``--seconds``, as a credentials PUT would change its roles (each swap drops one party and adds
the other: two announcements), with the delivery worker running; ``--interval`` is ``announcement_interval`` (0:
each change announced at once). Reported: the ClientInfo PUTs delivered during the swaps and after them (until the
worker is idle, at most a minute), this process's CPU per second of swapping, and whether every receiver's last
ClientInfo of each party says where the platform ended up. With ``--new-ids N`` as well, the platform holds N new
party ids at each change instead (it drops the N it held and adds N it never held), so each change names 2N parties.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import tempfile
import time
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import msgspec

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from loadtests.run import PeerProcess  # noqa: E402
from reference_hub.hub.outbox import ANNOUNCEMENTS  # noqa: E402
from reference_hub.hub.services import build_context  # noqa: E402
from reference_hub.hub.tokens import hash_token, new_token  # noqa: E402
from reference_hub.ocpi.datetime import now  # noqa: E402
from reference_hub.ocpi.models import BusinessDetails, CredentialsRole, Endpoint, InterfaceRole, Role  # noqa: E402
from reference_hub.settings import Settings  # noqa: E402
from reference_hub.store import Partner, PartnerStatus  # noqa: E402
from reference_hub.store.outbox import DeliveryState  # noqa: E402

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _pid(n: int) -> str:
    return _LETTERS[n // 676 % 26] + _LETTERS[n // 26 % 26] + _LETTERS[n % 26]


def _stats(base: str) -> dict[str, int]:
    with urllib.request.urlopen(f"{base}/stats", timeout=5) as answer:  # noqa: S310 - the peer on 127.0.0.1
        return dict(json.loads(answer.read()))


def _partner(ctx: Any, peer_base: str, cc: str, pid: str, role: Role, endpoints: list[Endpoint]) -> Partner:
    """A connected platform serving ``cc/pid`` whose versions (and given endpoints) are the peer's."""
    stamp = now()
    return Partner(
        partner_id=f"{cc}-{pid}",
        status=PartnerStatus.ACTIVE,
        token_hash=hash_token(new_token()),
        outgoing_token=ctx.registrar.vault.encrypt(new_token()),
        versions_url=f"{peer_base}/ocpi/versions",
        version="2.3.0",
        endpoints=endpoints,
        roles=[CredentialsRole(role=role, business_details=BusinessDetails(name=pid), party_id=pid, country_code=cc)],
        created=stamp,
        updated=stamp,
    )


@contextlib.asynccontextmanager
async def _hub(
    folder: Path, peer_base: str, receivers: int, others: list[tuple[str, str, Role]], **settings: Any
) -> AsyncIterator[tuple[Any, list[Partner]]]:
    """The hub's services on a SQLite file in ``folder``, with ``receivers`` connected platforms whose hubclientinfo
    Receiver is the peer, and ``others`` (``(cc, pid, role)``, no endpoints) connected too; yields the context and
    the others."""
    values = {"delivery_concurrency": 64, "delivery_per_receiver": 64, **settings}
    hub = Settings(
        store=f"sqlite:///{folder / 'fanout.db'}", public_url="http://127.0.0.1:9", allow_private_peers=True, **values
    )
    async with build_context(hub) as ctx:
        url = f"{peer_base}/ocpi/2.3.0/receiver/hubclientinfo"
        listening = [Endpoint(identifier="hubclientinfo", role=InterfaceRole.RECEIVER, url=url)]
        for n in range(receivers):
            receiver = _partner(ctx, peer_base, "ZZ", _pid(n), Role.CPO, listening)
            await ctx.store.insert_partner(receiver, consume_invitation=None)
        joined = [_partner(ctx, peer_base, cc, pid, role, []) for cc, pid, role in others]
        for p in joined:
            await ctx.store.insert_partner(p, consume_invitation=None)
        await ctx.deliveries.recipients("hubclientinfo", "RECEIVER", None)  # the worker's cache of partners, warm
        yield ctx, joined


async def measure(receivers: int, announcements: int, peer_base: str, folder: Path) -> dict[str, Any]:
    new = [("YY", _pid(n), Role.EMSP) for n in range(announcements)]
    async with _hub(folder, peer_base, receivers, new) as (ctx, joined):
        store, deliveries = ctx.store, ctx.deliveries

        started = time.process_time()
        for p in joined:
            await deliveries.announce(p, "CONNECTED")
        announce_cpu = time.process_time() - started

        # The planning alone: every announcement swapped for all its PUTs in one go (the worker plans them a slice at
        # a time as it has room; the slices together cost about the same).
        started = time.process_time()
        await deliveries.plan_announcements(receivers * announcements, most=announcements)
        expand_cpu = time.process_time() - started
        left = await store.list_deliveries(receiver=ANNOUNCEMENTS, state=DeliveryState.PENDING, limit=64)
        expanded = announcements - len(left)

        wall, started = time.monotonic(), time.process_time()
        worker = asyncio.create_task(deliveries.run())
        expected = receivers * announcements
        deadline = time.monotonic() + max(60.0, expected / 50)
        try:
            while time.monotonic() < deadline:
                await asyncio.sleep(0.25)
                if (await asyncio.to_thread(_stats, peer_base))["clientinfo"] >= expected:
                    break
            await asyncio.sleep(0.5)  # a repeat, if any, has time to arrive
        finally:
            worker.cancel()
            await asyncio.gather(worker, return_exceptions=True)
        deliver_cpu, wall = time.process_time() - started, time.monotonic() - wall
    served = _stats(peer_base)
    return {
        "receivers": receivers,
        "announcements": announcements,
        "expanded": expanded,
        "clientinfo_expected": expected,
        "clientinfo_received": served["clientinfo"],
        "clientinfo_distinct_request_ids": served["clientinfo_ids"],
        "announce_ms_each": round(1000 * announce_cpu / announcements, 2),
        "expand_ms_each": round(1000 * expand_cpu / announcements, 1),
        "deliver_us_per_clientinfo": round(1e6 * deliver_cpu / max(served["clientinfo"], 1)),
        "deliveries_per_s": round(served["clientinfo"] / wall),
        "hub_cpu_ms_per_announcement": round(1000 * (announce_cpu + expand_cpu + deliver_cpu) / announcements, 1),
    }


async def swapping(
    receivers: int, per_s: float, seconds: float, interval: float, peer_base: str, folder: Path, new_ids: int = 0
) -> dict[str, Any]:
    """The attack: one platform swapping its party id ``per_s`` times a second while the worker runs; with
    ``new_ids``, holding that many party ids it never held before at each change."""
    async with _hub(folder, peer_base, receivers, [("NL", "SWA", Role.CPO)], announcement_interval=interval) as (
        ctx,
        [swapper],
    ):
        store, deliveries = ctx.store, ctx.deliveries
        role = swapper.roles[0]

        def holding(*pids: str) -> Partner:
            return msgspec.structs.replace(swapper, roles=[msgspec.structs.replace(role, party_id=p) for p in pids])

        def next_held(swaps: int, held: tuple[str, ...]) -> tuple[str, ...]:
            if not new_ids:
                return ("SWB",) if held == ("SWA",) else ("SWA",)
            return tuple(_pid((swaps + 1) * new_ids + n) for n in range(new_ids))  # never held before

        worker = asyncio.create_task(deliveries.run())
        swaps, held = 0, ("SWA",)
        started, wall = time.process_time(), time.monotonic()
        try:
            while time.monotonic() - wall < seconds:
                now_held = next_held(swaps, held)
                await deliveries.announce(holding(*held), "SUSPENDED", by_rotation=True)
                await deliveries.announce(holding(*now_held), "CONNECTED", by_rotation=True)
                swaps, held = swaps + 1, now_held
                await asyncio.sleep(max(0.0, wall + swaps / per_s - time.monotonic()))
            swapping_cpu, during = time.process_time() - started, await asyncio.to_thread(_stats, peer_base)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:  # what the swaps still owe, until the worker is idle
                await asyncio.sleep(0.5)
                if not await store.list_deliveries(receiver=None, state=DeliveryState.PENDING, limit=1):
                    break
            left = len(await store.list_deliveries(receiver=None, state=DeliveryState.PENDING, limit=1_000_000))
        finally:
            worker.cancel()
            await asyncio.gather(worker, return_exceptions=True)
        total_cpu = time.process_time() - started
    served = _stats(peer_base)
    return {
        "receivers": receivers,
        "announcement_interval": interval,
        "swaps": swaps,
        "new_ids_per_change": new_ids,
        "seconds": seconds,
        "clientinfo_during_swaps": during["clientinfo"],
        "clientinfo_in_all": served["clientinfo"],
        "still_pending_after_a_minute": left,
        "hub_cpu_per_second_of_swapping": round(swapping_cpu / seconds, 2),
        "hub_cpu_in_all_s": round(total_cpu, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python tools/clientinfo_fanout.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--receivers", type=int, default=1000, help="connected platforms with a hubclientinfo Receiver")
    parser.add_argument(
        "--announcements", type=int, default=5, help="new platforms announced to all of them (1 to 64, default 5)"
    )
    parser.add_argument(
        "--swaps-per-s", type=float, default=0.0, help="measure a platform swapping its party id instead"
    )
    parser.add_argument("--seconds", type=float, default=20.0, help="how long it swaps (default 20)")
    parser.add_argument(
        "--new-ids",
        type=int,
        default=0,
        help="with --swaps-per-s: hold this many party ids never held before at each change (0 to 500; default 0: "
        "swap NL/SWA and NL/SWB)",
    )
    parser.add_argument(
        "--interval", type=float, default=60.0, help="announcement_interval while it swaps (default 60, the hub's)"
    )
    args = parser.parse_args(argv)
    if not 1 <= args.announcements <= 64:
        parser.error("--announcements must be between 1 and 64 (one round of the worker expands them all)")
    if not 0 <= args.swaps_per_s <= 100 or not 0 < args.seconds <= 300:
        parser.error("--swaps-per-s must be between 0 and 100, --seconds between 0 and 300")
    if not 0 <= args.new_ids <= 500:
        parser.error("--new-ids must be between 0 and 500")
    with PeerProcess() as peer, tempfile.TemporaryDirectory(prefix="clientinfo-fanout-") as folder:
        base = peer.versions_url.rsplit("/ocpi/", 1)[0]
        if args.swaps_per_s:
            swapped = asyncio.run(
                swapping(
                    args.receivers, args.swaps_per_s, args.seconds, args.interval, base, Path(folder), args.new_ids
                )
            )
            print(json.dumps(swapped, indent=2))
            return 0 if swapped["still_pending_after_a_minute"] == 0 else 1
        result = asyncio.run(measure(args.receivers, args.announcements, base, Path(folder)))
    print(json.dumps(result, indent=2))
    exact = result["clientinfo_received"] == result["clientinfo_distinct_request_ids"] == result["clientinfo_expected"]
    print("every ClientInfo arrived exactly once" if exact else "MISSING OR REPEATED ClientInfo PUTs")
    return 0 if exact else 1


if __name__ == "__main__":
    sys.exit(main())
