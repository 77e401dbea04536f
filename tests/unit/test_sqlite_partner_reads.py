"""How the SQLite store reads partners in bulk, on a real SQLite file.

Large reads of partner records are decoded without the garbage collector walking them (``store.base.decode_kept``):
every partner is read at once when the deliveries and the credentials first need the party list, and kept; with
200,000 partners the collector walked the growing set of records during that read, again and again. Small reads (the
partners changed since the last look) are decoded as any other. Counting the ACTIVE partners, which health and the
caches of partners do after every change, reads an index rather than the whole table.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import msgspec
import pytest

from reference_hub.hub.tokens import hash_token
from reference_hub.ocpi.datetime import now
from reference_hub.store import Partner, PartnerStatus, base
from reference_hub.store.sqlite import SqliteStore


@pytest.fixture
def collector() -> Iterator[None]:
    """The collector as the test found it, frozen objects included: the test process goes on after the freeze."""
    enabled = gc.isenabled()
    yield
    gc.unfreeze()
    if enabled:
        gc.enable()


def _partner(number: int) -> Partner:
    stamp = now()
    return Partner(
        partner_id=f"AA-{number:03d}",
        status=PartnerStatus.ACTIVE,
        token_hash=hash_token(f"token-{number:03d}"),
        versions_url=f"https://{number:03d}.example.com/ocpi/versions",
        created=stamp,
        updated=stamp,
    )


@asynccontextmanager
async def _store(tmp_path: Path, partners: int) -> AsyncIterator[SqliteStore]:
    """A SQLite store on a real file holding ``partners`` ACTIVE partners."""
    store = SqliteStore(str(tmp_path / "hub.db"))
    await store.open()
    try:
        for n in range(partners):
            await store.insert_partner(_partner(n), consume_invitation=None)
        yield store
    finally:
        await store.close()


def test_a_large_read_is_decoded_with_the_collector_paused_and_left_out_of_its_walks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, collector: None
) -> None:
    monkeypatch.setattr(base, "KEPT_READ", 20)

    async def main() -> None:
        async with _store(tmp_path, 30) as store:
            collecting: list[bool] = []
            decode = store._decode

            def watched(doc: bytes) -> Partner:
                collecting.append(gc.isenabled())
                return decode(doc)

            store._decode = watched  # type: ignore[method-assign]
            gc.unfreeze()
            everything, cursor = await store.partners_changed(None)
            assert len(everything) == 30
            assert collecting == [False] * 30  # paused while decoding
            assert gc.isenabled()  # and running again afterwards
            frozen = gc.get_freeze_count()
            assert frozen >= 30 * 3  # each record with its lists: out of the collector's generations
            tracked = {id(o) for o in gc.get_objects()}
            assert not any(id(p) in tracked or id(p.roles) in tracked for p in everything)

            # a small read: the partners changed since the cursor, decoded as usual and left where they are
            first = msgspec.structs.replace(everything[0], versions_url="https://moved.example.com/ocpi/versions")
            await store.replace_partner(first, expected_token_hash=first.token_hash)
            changed, _ = await store.partners_changed(cursor)
            assert [p.partner_id for p in changed] == ["AA-000"]
            assert gc.get_freeze_count() <= frozen  # nothing frozen this time (some frozen garbage was freed)
            assert collecting[30:] == [True]
            assert any(o is changed[0] for o in gc.get_objects())

    asyncio.run(main())


def test_the_collector_runs_again_when_decoding_fails(monkeypatch: pytest.MonkeyPatch, collector: None) -> None:
    monkeypatch.setattr(base, "KEPT_READ", 2)

    def broken(doc: bytes) -> object:
        raise ValueError(doc)

    with pytest.raises(ValueError):
        base.decode_kept(broken, [b"x", b"y"])
    assert gc.isenabled()


def test_counting_and_paging_the_active_partners_read_an_index_not_the_whole_table(tmp_path: Path) -> None:
    async def main() -> None:
        async with _store(tmp_path, 3) as store:
            counts: list[str] = []
            store.db.set_trace_callback(lambda sql: counts.append(sql) if "count(" in sql.lower() else None)
            assert (await store.list_partners(statuses=(PartnerStatus.ACTIVE,), limit=0)).total == 3
            assert (await store.health())["active_partners"] == 3
            store.db.set_trace_callback(None)
            assert len(counts) == 2
            for sql in counts:
                plan = " ".join(str(row[-1]) for row in store.db.execute(f"EXPLAIN QUERY PLAN {sql}"))
                assert "SCAN partners" not in plan and "INDEX partners_status" in plan, (sql, plan)
            # and a page of one status is read in the list's order, not sorted after the fact
            pages: list[str] = []
            store.db.set_trace_callback(lambda sql: pages.append(sql) if "ORDER BY" in sql else None)
            page = await store.list_partners(statuses=(PartnerStatus.ACTIVE,), limit=2)
            store.db.set_trace_callback(None)
            assert [p.partner_id for p in page.items] == ["AA-000", "AA-001"]
            plan = " ".join(str(row[-1]) for row in store.db.execute(f"EXPLAIN QUERY PLAN {pages[0]}"))
            assert "TEMP B-TREE" not in plan, plan

    asyncio.run(main())


def test_a_page_of_the_token_index_is_read_along_the_token_hashes_without_sorting(tmp_path: Path) -> None:
    """The token index reads every live partner's token hash in pages, in hash order. With the partners_status
    index beside it, SQLite chose that one for the status term and sorted every live partner for each page (2.7 s of
    CPU for the index of 100,000 partners, against 0.5): a page must be a range read of the token hashes' index."""
    from reference_hub.store.sqlite import _LIVE, LIVE_HOLDERS

    async def main() -> None:
        async with _store(tmp_path, 5) as store:
            plan = " ".join(
                str(row[-1]) for row in store.db.execute(f"EXPLAIN QUERY PLAN {LIVE_HOLDERS}", ("", *_LIVE, 2))
            )
            assert "TEMP B-TREE" not in plan and "partners_status" not in plan and "(token_hash>?)" in plan, plan
            first = await store.live_token_holders(None, 2)
            rest = await store.live_token_holders(first[-1].token_hash, 10)
            hashes = [h.token_hash for h in first + rest]
            assert hashes == sorted(hash_token(f"token-{n:03d}") for n in range(5))

    asyncio.run(main())


def test_a_partner_removed_through_another_store_leaves_the_views_without_a_read_of_every_partner(
    tmp_path: Path,
) -> None:
    """The attack on a large hub: an operator removes one partner (``ocpi-hub partners remove``, another process).
    Each worker's two views of the partners (the deliveries' receivers, the Credentials' reachable roles) used to read
    every partner again, 1.5 s in which a worker of a 100,000-party hub answered nothing. Now they read the removal
    from the store's log; on two real SQLite connections to one file, as a worker and the operator's command have."""
    from reference_hub.hub.credentials import Registrar
    from reference_hub.hub.outbox import Deliveries
    from reference_hub.settings import Settings

    async def main() -> None:
        async with _store(tmp_path, 40) as worker:
            deliveries = Deliveries(Settings(), worker, None, None, None)  # type: ignore[arg-type]
            registrar = Registrar(Settings(), worker, None, None, None)  # type: ignore[arg-type]
            assert len(await deliveries.active_partners()) == len(await registrar._reachable_roles()) == 40
            reads: list[str] = []
            worker.db.set_trace_callback(lambda sql: reads.append(sql) if "FROM partners" in sql else None)

            operator = SqliteStore(str(tmp_path / "hub.db"))
            await operator.open()
            try:
                assert await operator.delete_partner("AA-007")
            finally:
                await operator.close()

            left = [p.partner_id for p in await deliveries.active_partners()]
            assert len(left) == 39 and "AA-007" not in left
            assert "AA-007" not in await registrar._reachable_roles() and len(await registrar._reachable_roles()) == 39
            assert (deliveries._feed.full_reads, registrar._reachable_feed.full_reads) == (1, 1)
            whole = [sql for sql in reads if "SELECT changed, doc FROM partners ORDER BY changed" in sql]
            assert whole == []  # no read of every partner, in either view

    asyncio.run(main())
