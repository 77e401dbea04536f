"""``python tools/loop_stalls.py``: how long the still-alive check's bookkeeping holds a worker's event loop, on a
hub of many partners.

A worker answers its requests from one event loop, so any step that runs for long without awaiting delays every
request that arrives meanwhile. This runs each step of the still-alive check (``hub/liveness.py``) once, in one
process, on a real store (a SQLite file, or with ``--store postgresql`` a throwaway PostgreSQL server on loopback)
holding ``--partners`` partners' times (default 100,000), with a task beside it that counts the turns of the loop it
gets. For each step it prints how long the step took, its CPU, how many turns the other task
got, and the longest wait between two of them: what a request arriving at the worst moment would have waited.

- ``round, all silent``: a still-alive round weighs every partner, none heard for a day (it picks
  ``PROBES_PER_ROUND`` to probe);
- ``share``: a worker writes the last-heard times of every partner (``Liveness.share_heard``);
- ``read``: the lease holder reads every worker's times back (``Store.heard_times``);
- ``round, all heard``: a round again, each partner heard a moment ago;
- ``out of rotation``: a tick of the probes of the receivers out of rotation, a third of the partners out.

The partners are held in memory as the deliveries hold them (a stand-in for ``Deliveries``, named as such) and the
probes answer at once without a network call (``Liveness._answers`` and ``_check`` are stand-ins): the figures are
the bookkeeping's, not the probes'. Nothing listens on a port.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


async def _stalls(step: Callable[[], Awaitable[Any]]) -> tuple[float, float, int, float]:
    """Wall seconds, CPU seconds, the turns another task got, and the longest wait between two of its turns."""
    gaps: list[float] = []
    done = False

    async def other_task() -> None:
        last = time.perf_counter()
        while not done:
            await asyncio.sleep(0)
            clock = time.perf_counter()
            gaps.append(clock - last)
            last = clock

    task = asyncio.create_task(other_task())
    await asyncio.sleep(0)
    gaps.clear()
    started, cpu = time.perf_counter(), time.process_time()
    await step()
    took, used = time.perf_counter() - started, time.process_time() - cpu
    done = True
    await task
    return took, used, len(gaps), max(gaps, default=took)


async def _run(partners: int, url: str) -> list[tuple[str, float, float, int, float]]:
    from reference_hub.hub.liveness import Liveness
    from reference_hub.hub.outbox import Breaker
    from reference_hub.ocpi.datetime import DateTime
    from reference_hub.settings import Settings
    from reference_hub.store import Partner, PartnerStatus
    from reference_hub.store.factory import open_store

    long_ago = DateTime.from_datetime(datetime.now(UTC) - timedelta(days=2))
    held = [
        Partner(
            partner_id=f"AA-{n:06d}",
            status=PartnerStatus.ACTIVE,
            token_hash="0" * 64,
            versions_url="http://127.0.0.1:9/versions",
            created=long_ago,
            updated=long_ago,
        )
        for n in range(partners)
    ]
    breaker = Breaker(1, 0.01)

    class Deliveries:  # stand-in: the ACTIVE partners as the deliveries hold them, and the breaker
        def __init__(self) -> None:
            self.breaker = breaker
            self.out: set[str] = set()

        async def active_partners(self) -> list[Partner]:
            return held

        async def offline(self) -> set[str]:
            return self.out

        async def mark(self, partner: Partner, *, offline: bool) -> None:
            return None

    store = open_store(url)
    await store.open()
    deliveries = Deliveries()
    liveness = Liveness(Settings(alive_after=300), store, None, None, deliveries)  # type: ignore[arg-type]

    async def probed(partner: Any) -> None:  # stand-in probe: answers at once
        return None

    async def answers(partner: Any) -> bool:  # stand-in probe of a receiver out of rotation: still down
        return False

    liveness._check = probed  # type: ignore[method-assign]
    liveness._answers = answers  # type: ignore[method-assign]
    rows = []
    try:
        liveness._started = time.monotonic() - 86400  # nobody heard, here or by any other worker, for a day
        rows.append(("round, all silent", *await _stalls(liveness.check_round)))
        clock = time.monotonic()
        for n, partner in enumerate(held):  # heard over the last minute, a hundred per second
            liveness._heard[partner.partner_id] = clock - 60 * n / partners
        liveness._shared_until = clock - 120  # none of them shared yet
        rows.append(("share", *await _stalls(liveness.share_heard)))
        rows.append(("read", *await _stalls(store.heard_times)))
        rows.append(("round, all heard", *await _stalls(liveness.check_round)))
        deliveries.out = {p.partner_id for p in held[::3]}
        breaker.sync({receiver: 3600.0 for receiver in deliveries.out})
        rows.append(("out of rotation", *await _stalls(liveness.probe_out_of_rotation)))
    finally:
        await store.close()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python tools/loop_stalls.py", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--partners",
        type=int,
        default=100_000,
        help="partners, held in memory as the deliveries hold them, their times in the store (default 100,000)",
    )
    parser.add_argument(
        "--store",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="a SQLite file (default), or a throwaway PostgreSQL server on loopback (make postgres installs one)",
    )
    args = parser.parse_args(argv)
    if args.partners < 1:
        parser.error("--partners must be at least 1")
    with contextlib.ExitStack() as stack:
        if args.store == "postgresql":
            from loadtests.postgres import ClusterUnavailable, throwaway_cluster

            try:
                url = stack.enter_context(throwaway_cluster()).create_database("stalls")
            except ClusterUnavailable as exc:
                parser.error(f"--store postgresql: {exc}")
            where = "a throwaway PostgreSQL server"
        else:
            url = f"sqlite:///{Path(stack.enter_context(tempfile.TemporaryDirectory())) / 'hub.db'}"
            where = "a real SQLite file"
        rows = asyncio.run(_run(args.partners, url))
    print(f"{args.partners:,} partners, {where}; the longest wait is what a request arriving then waited")
    print(f"{'step':<20} {'took ms':>9} {'CPU ms':>8} {'turns':>7} {'longest wait ms':>16}")
    for name, took, cpu, turns, longest in rows:
        print(f"{name:<20} {took * 1000:9.1f} {cpu * 1000:8.1f} {turns:7d} {longest * 1000:16.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
