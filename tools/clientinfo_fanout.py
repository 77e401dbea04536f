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
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

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


async def measure(receivers: int, announcements: int, peer_base: str, folder: Path) -> dict[str, Any]:
    settings = Settings(
        store=f"sqlite:///{folder / 'fanout.db'}",
        public_url="http://127.0.0.1:9",
        allow_private_peers=True,
        delivery_concurrency=64,
        delivery_per_receiver=64,
    )
    async with build_context(settings) as ctx:
        store, deliveries = ctx.store, ctx.deliveries
        url = f"{peer_base}/ocpi/2.3.0/receiver/hubclientinfo"

        def partner(cc: str, pid: str, role: Role, endpoints: list[Endpoint]) -> Partner:
            stamp = now()
            return Partner(
                partner_id=f"{cc}-{pid}",
                status=PartnerStatus.ACTIVE,
                token_hash=hash_token(new_token()),
                outgoing_token=ctx.registrar.vault.encrypt(new_token()),
                versions_url=f"{peer_base}/ocpi/versions",
                version="2.3.0",
                endpoints=endpoints,
                roles=[
                    CredentialsRole(
                        role=role, business_details=BusinessDetails(name=pid), party_id=pid, country_code=cc
                    )
                ],
                created=stamp,
                updated=stamp,
            )

        listening = [Endpoint(identifier="hubclientinfo", role=InterfaceRole.RECEIVER, url=url)]
        for n in range(receivers):
            await store.insert_partner(partner("ZZ", _pid(n), Role.CPO, listening), consume_invitation=None)
        joined = [partner("YY", _pid(n), Role.EMSP, []) for n in range(announcements)]
        for p in joined:
            await store.insert_partner(p, consume_invitation=None)
        await deliveries.recipients("hubclientinfo", "RECEIVER", None)  # the worker's cache of partners, warm

        started = time.process_time()
        for p in joined:
            await deliveries.announce(p, "CONNECTED")
        announce_cpu = time.process_time() - started

        # The expansion alone: the announcements are the oldest rows and the worker claims in order, so one round
        # of at least as many slots takes them all and nothing else (the PUTs they become are written after them).
        started = time.process_time()
        await deliveries.deliver_due()
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python tools/clientinfo_fanout.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--receivers", type=int, default=1000, help="connected platforms with a hubclientinfo Receiver")
    parser.add_argument(
        "--announcements", type=int, default=5, help="new platforms announced to all of them (1 to 64, default 5)"
    )
    args = parser.parse_args(argv)
    if not 1 <= args.announcements <= 64:
        parser.error("--announcements must be between 1 and 64 (one round of the worker expands them all)")
    with PeerProcess() as peer, tempfile.TemporaryDirectory(prefix="clientinfo-fanout-") as folder:
        base = peer.versions_url.rsplit("/ocpi/", 1)[0]
        result = asyncio.run(measure(args.receivers, args.announcements, base, Path(folder)))
    print(json.dumps(result, indent=2))
    exact = result["clientinfo_received"] == result["clientinfo_distinct_request_ids"] == result["clientinfo_expected"]
    print("every ClientInfo arrived exactly once" if exact else "MISSING OR REPEATED ClientInfo PUTs")
    return 0 if exact else 1


if __name__ == "__main__":
    sys.exit(main())
