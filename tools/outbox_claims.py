"""``python tools/outbox_claims.py``: the CPU a delivery worker's claims cost per row delivered, on a SQLite outbox.

The delivery worker claims due rows a few at a time, each receiver's within its room (``delivery_per_receiver`` less
what it has in flight). How a claim finds them decides what a delivery costs once a hub has many receivers. This
fills a SQLite store (a temporary file) with rows in one of four patterns and plays the worker against it: claims of
``--batch`` rows with each receiver's room, at most ``--pool`` rows in flight, and sends that finish in a set order
(the rows are deleted as delivered, as the worker does; nothing is sent over a network). Reported: the CPU time of the
claims alone per row delivered (``time.process_time``), median of ``--rounds``.

- ``clientinfo``: 1,000 receivers with 21 rows each, one receiver's after the other's (what announcing a platform's
  21 parties to 1,000 platforms leaves); half of what is in flight finishes after each claim;
- ``fanout``: 50 receivers, 60 pushes of one row to each, push after push (a broadcast Location);
- ``backlog``: one receiver's 3,000 rows first (back from an outage), then ``--pushes`` (20) pushes to 50 others;
  that receiver's sends finish two at a time, everyone else's at once, so it is at its room most of the time (with
  ``--pushes 200 --batch 64 --pool 512``, the worker's own claim size, the others are as far behind as on a hub near
  its limit while the backlog drains, and every claim asks receiver by receiver);
- ``offline``: 21 announcements to 1,000 receivers, announcement after announcement, 50 of the receivers out of
  rotation (``store_and_forward``: no room, their rows stay); their rows parked first as the worker parks them
  (``Outbox.park_deliveries``), unless ``--no-park``. Reported per row delivered to the 950 others.

It stops by itself and touches nothing outside its temporary folder.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reference_hub.ocpi.datetime import DateTime  # noqa: E402
from reference_hub.store.outbox import Delivery  # noqa: E402
from reference_hub.store.sqlite import SqliteStore  # noqa: E402

PATTERNS = ("clientinfo", "fanout", "backlog", "offline")
SLOW = "BACK"
OUT = frozenset(f"R{r:04}" for r in range(0, 1000, 20))
"""The receivers out of rotation in the ``offline`` pattern."""
_T0 = DateTime.parse("2024-03-01T10:00:00Z")
_NOW = DateTime.parse("2024-03-01T11:00:00Z")
_LEASE = DateTime.parse("2024-03-01T12:00:00Z")


def _rows(pattern: str, pushes: int = 20) -> list[tuple[str, str]]:
    """``(receiver, stream)`` of each row, in the order they are stored."""
    if pattern == "clientinfo":
        return [(f"R{r:04}", f"R{r}|{n}") for r in range(1000) for n in range(21)]
    if pattern == "fanout":
        return [(f"R{r:02}", f"R{r}|L{p}") for p in range(60) for r in range(50)]
    if pattern == "offline":
        return [(f"R{r:04}", f"R{r}|{n}") for n in range(21) for r in range(1000)]
    return [(SLOW, f"B|L{p}") for p in range(3000)] + [
        (f"R{r:02}", f"R{r}|L{p}") for p in range(pushes) for r in range(50)
    ]


def _delivery(n: int, receiver: str, stream: str) -> Delivery:
    body = b'{"id": "L", "name": "' + b"x" * 600 + b'"}'  # about the size of a small Location
    return Delivery(
        delivery_id=f"d{n}",
        receiver=receiver,
        stream=stream,
        method="PUT",
        url=f"http://127.0.0.1:9/{n}",
        headers=[("X-Correlation-ID", "c")],
        body=body,
        created=_T0,
        due=_T0,
    )


async def play(
    pattern: str, path: Path, batch: int, pool: int, cap: int, park: bool = True, pushes: int = 20
) -> tuple[int, float]:
    """Rows delivered, and the claims' CPU µs per row delivered, on a new store at ``path``."""
    store = SqliteStore(str(path))
    await store.open()
    try:
        rows = [_delivery(n, receiver, stream) for n, (receiver, stream) in enumerate(_rows(pattern, pushes))]
        await store.enqueue(rows)
        in_flight: collections.deque[Delivery] = collections.deque()
        per_receiver: collections.Counter[str] = collections.Counter()
        delivered, cpu = 0, 0.0
        out = OUT if pattern == "offline" else frozenset()
        if out and park:
            started = time.process_time()
            await store.park_deliveries(out)
            cpu += time.process_time() - started
        wanted = sum(1 for row in rows if row.receiver not in out)
        while delivered < wanted:
            room = {receiver: cap - n for receiver, n in per_receiver.items() if n > 0}
            room.update(dict.fromkeys(out, 0))
            started = time.process_time()
            got = await store.claim_deliveries(
                "w", _NOW, _LEASE, max(1, min(batch, pool - len(in_flight))), room=room, per_receiver=cap
            )
            cpu += time.process_time() - started
            for delivery in got:
                in_flight.append(delivery)
                per_receiver[delivery.receiver] += 1
            if pattern == "backlog":
                slow = [d for d in in_flight if d.receiver == SLOW][:2]
                done = [d for d in in_flight if d.receiver != SLOW] + slow
            else:
                done = [in_flight[n] for n in range(max(1, len(in_flight) // 2) if in_flight else 0)]
            finished = {d.delivery_id for d in done}
            in_flight = collections.deque(d for d in in_flight if d.delivery_id not in finished)
            if not got and not done:
                raise SystemExit(f"{pattern}: nothing claimed and nothing in flight with {wanted - delivered} left")
            await store.delivered_many([d.delivery_id for d in done], "w")
            for d in done:
                per_receiver[d.receiver] -= 1
            delivered += len(done)
        return delivered, cpu * 1e6 / delivered
    finally:
        await store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python tools/outbox_claims.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("patterns", nargs="*", help=f"any of {', '.join(PATTERNS)} (default: all)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per pattern, median reported (default 3)")
    parser.add_argument("--batch", type=int, default=8, help="rows per claim at most (default 8)")
    parser.add_argument("--pool", type=int, default=64, help="rows in flight at most (default 64)")
    parser.add_argument("--room", type=int, default=32, help="rows in flight per receiver at most (default 32)")
    parser.add_argument(
        "--no-park", action="store_true", help="offline: leave the rows of receivers out of rotation unparked"
    )
    parser.add_argument(
        "--pushes", type=int, default=20, help="backlog: pushes to the 50 others after the backlog (default 20)"
    )
    args = parser.parse_args(argv)
    unknown = sorted(set(args.patterns) - set(PATTERNS))
    if unknown:
        parser.error(f"unknown pattern(s): {', '.join(unknown)} (choose from {', '.join(PATTERNS)})")
    if not 1 <= args.rounds <= 20 or not 1 <= args.batch <= args.pool <= 4096 or not 1 <= args.room <= 4096:
        parser.error("--rounds must be 1 to 20, 1 <= --batch <= --pool <= 4096, --room 1 to 4096")
    if not 1 <= args.pushes <= 1000:
        parser.error("--pushes must be 1 to 1000")
    with tempfile.TemporaryDirectory(prefix="outbox-claims-") as folder:
        for pattern in args.patterns or PATTERNS:
            figures = []
            for n in range(args.rounds):
                path = Path(folder) / f"{pattern}-{n}.db"
                delivered, per_row = asyncio.run(
                    play(pattern, path, args.batch, args.pool, args.room, park=not args.no_park, pushes=args.pushes)
                )
                figures.append(per_row)
            rounds = ", ".join(f"{f:.1f}" for f in figures)
            print(f"{pattern}: {delivered} rows, claims {statistics.median(figures):.1f} µs per row (rounds {rounds})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
