"""Last-heard times go to the store and come back in bounded pieces, with a turn of the event loop between them, so
a worker sharing the times of 100,000 partners holds neither its own requests nor (on SQLite) the write lock the
other workers wait for; and the still-alive round weighs its partners in batches too. A real SQLite file; the
deliveries and the probe itself are stand-ins (named as such) where a test needs them. PostgreSQL's pages are counted
on a throwaway server.

The pieces are made small here (``SHARE_BATCH``, ``HEARD_PAGE``, ``ROUND_BATCH``) so that a few dozen or hundred
partners cross several of them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest

import reference_hub.hub.liveness as liveness_module
import reference_hub.store.postgres as postgres_module
import reference_hub.store.sqlite as sqlite_module
from reference_hub.hub.liveness import Liveness
from reference_hub.ocpi.datetime import DateTime
from reference_hub.settings import Settings
from reference_hub.store import Partner
from reference_hub.store.factory import open_store
from reference_hub.store.sqlite import SqliteStore
from tests.unit.test_liveness import _partner

T = TypeVar("T")


class Turns:
    """Counts the turns of the event loop another task (a request, say) gets while the block runs."""

    def __init__(self) -> None:
        self.count = 0
        self._done = False
        self._task: asyncio.Task[None] | None = None

    async def _other_task(self) -> None:
        while not self._done:
            await asyncio.sleep(0)
            self.count += 1

    async def __aenter__(self) -> Turns:
        self._task = asyncio.create_task(self._other_task())
        await asyncio.sleep(0)  # let it start
        self.count = 0
        return self

    async def __aexit__(self, *_: object) -> None:
        self._done = True
        assert self._task is not None
        await self._task


async def _with_turns_counted(work: Callable[[], Awaitable[T]]) -> tuple[T, int]:
    """What ``work`` returns, and how often another task got a turn of the loop while it ran."""
    async with Turns() as turns:
        result = await work()
    return result, turns.count


def _liveness(store: SqliteStore, heard: int) -> Liveness:
    liveness = Liveness(Settings(), store, None, None, None)  # type: ignore[arg-type]
    clock = time.monotonic()
    for n in range(heard):
        liveness._heard[f"NL-P{n:04d}"] = clock - n * 0.01
    return liveness


def test_a_worker_writes_last_heard_times_in_batches_and_lets_requests_run_between(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(liveness_module, "SHARE_BATCH", 50)

    async def main() -> None:
        store = SqliteStore(str(tmp_path / "hub.db"))
        await store.open()
        liveness = _liveness(store, 175)
        sizes: list[int] = []
        write = store.note_heard

        async def counted(heard: Any) -> None:
            sizes.append(len(heard))
            await write(heard)

        store.note_heard = counted  # type: ignore[method-assign]
        _, turns = await _with_turns_counted(liveness.share_heard)
        assert sizes == [50, 50, 50, 25]
        assert turns >= 3, "nothing else ran between the batches"
        stored = await store.heard_times()
        assert len(stored) == 175
        wall = time.time() - time.monotonic()
        for partner_id, at in liveness._heard.items():  # each to its second
            assert 0 <= (at + wall) - stored[partner_id].timestamp() < 1.01
        # nothing heard since: the next share writes nothing
        sizes.clear()
        await liveness.share_heard()
        assert sizes == []
        await store.close()

    asyncio.run(main())


def test_a_share_cut_short_is_written_whole_by_the_next(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(liveness_module, "SHARE_BATCH", 50)

    async def main() -> None:
        store = SqliteStore(str(tmp_path / "hub.db"))
        await store.open()
        liveness = _liveness(store, 120)
        write = store.note_heard
        calls = 0

        async def stopping(heard: Any) -> None:
            nonlocal calls
            calls += 1
            if calls == 2:
                raise asyncio.CancelledError  # the process stopping in the middle of a share
            await write(heard)

        store.note_heard = stopping  # type: ignore[method-assign]
        with pytest.raises(asyncio.CancelledError):
            await liveness.share_heard()
        assert len(await store.heard_times()) == 50
        store.note_heard = write  # type: ignore[method-assign]
        await liveness.share_heard()  # as on the way out
        assert len(await store.heard_times()) == 120
        await store.close()

    asyncio.run(main())


@pytest.mark.parametrize("partners", [130, 120, 0])
def test_heard_times_are_read_in_pages_and_let_requests_run_between(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, partners: int
) -> None:
    monkeypatch.setattr(sqlite_module, "HEARD_PAGE", 40)

    async def main() -> None:
        store = SqliteStore(str(tmp_path / "hub.db"))
        await store.open()
        written = {f"NL-P{n:04d}": DateTime.parse(f"2026-12-07T10:{n % 60:02d}:00Z") for n in range(partners)}
        await store.note_heard(written)
        read, turns = await _with_turns_counted(store.heard_times)
        assert read == written
        assert turns >= partners // 40, "nothing else ran between the pages"
        await store.close()

    asyncio.run(main())


def test_a_still_alive_round_over_many_partners_lets_requests_run_between_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(liveness_module, "ROUND_BATCH", 10)
    long_ago = DateTime.from_datetime(datetime.now(UTC) - timedelta(hours=2))
    just_now = DateTime.from_datetime(datetime.now(UTC) - timedelta(seconds=5))
    partners = [_partner(f"NL-P{n:04d}", stamp=long_ago) for n in range(35)]

    class Deliveries:  # stand-in: the ACTIVE partners, as the deliveries keep them
        async def active_partners(self) -> list[Partner]:
            return partners

    async def main() -> None:
        store = SqliteStore(str(tmp_path / "hub.db"))
        await store.open()
        # other processes heard the even partners a moment ago, and partners 1 and 3 two hours ago
        await store.note_heard({p.partner_id: just_now for p in partners[::2]})
        await store.note_heard({"NL-P0001": long_ago, "NL-P0003": long_ago})
        liveness = Liveness(Settings(alive_after=300), store, None, None, Deliveries())  # type: ignore[arg-type]
        liveness._started = time.monotonic() - 7200
        probed: list[str] = []
        turns_before_probing: list[int] = []

        async def check(partner: Partner) -> None:
            if not probed:
                turns_before_probing.append(turns.count)
            probed.append(partner.partner_id)

        liveness._check = check  # type: ignore[method-assign]
        async with Turns() as turns:
            await liveness.check_round()
        assert sorted(probed) == [p.partner_id for p in partners[1::2]]  # the odd ones: silent for two hours
        assert turns_before_probing[0] >= 3, "nothing else ran while the round weighed its partners"
        await store.close()

    asyncio.run(main())


def test_postgresql_reads_the_times_a_page_at_a_time(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(postgres_module, "HEARD_PAGE", 10)

    async def main() -> None:
        store = open_store(postgres_url)
        await store.open()
        written = {f"NL-P{n:04d}": DateTime.parse(f"2026-12-07T10:{n % 7:02d}:00Z") for n in range(25)}
        await store.note_heard(written)
        real = store._pool  # type: ignore[attr-defined]
        fetched: list[int] = []

        class Counting:  # a stand-in in front of the real pool: counts the fetches, passes everything on
            def __getattr__(self, name: str) -> Any:
                return getattr(real, name)

            async def fetch(self, *args: Any) -> Any:
                rows = await real.fetch(*args)
                fetched.append(len(rows))
                return rows

        store._pool = Counting()  # type: ignore[attr-defined]
        try:
            read = await store.heard_times()
        finally:
            store._pool = real  # type: ignore[attr-defined]
        assert read == written
        assert fetched == [10, 10, 5]
        await store.close()

    asyncio.run(main())
