"""What only the PostgreSQL adapter has to prove, on the session's real server (tests/conftest.py): its schema
migrations, its query plans at scale, claims racing between processes, and change notification.

The contract suites (test_*_contract.py) run on PostgreSQL too; these tests are about how it does it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import asyncpg
import pytest

from reference_hub.ocpi.datetime import DateTime
from reference_hub.store import open_store, postgres_outbox
from reference_hub.store.objects import ObjectQuery, StoredObject
from reference_hub.store.outbox import Delivery
from reference_hub.store.postgres import CHANGE_POLL, PostgresStore, split_url
from reference_hub.store.postgres_objects import FIND_BY_ID, FIND_OWNERS, page_statements
from reference_hub.store.postgres_outbox import CLAIM_CANDIDATES, CLAIM_DUE, LEASE_CHOSEN
from reference_hub.store.postgres_schema import MIGRATIONS, SchemaTooNew, migrate
from tests.contract.test_store_contract import invitation, partner

T0 = DateTime.parse("2024-03-01T10:00:00Z")
LOCATIONS = 100_000


def at(seconds: float) -> DateTime:
    return DateTime.from_datetime(T0 + timedelta(seconds=seconds))


def run(body: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(body())


async def applied_versions(url: str) -> list[int]:
    connection = await asyncpg.connect(url)
    try:
        return [r[0] for r in await connection.fetch("SELECT version FROM hub_schema_migrations ORDER BY version")]
    finally:
        await connection.close()


# --- URLs -----------------------------------------------------------------------------------------------------


def test_store_urls_choose_postgresql_and_keep_pool_size_to_the_hub() -> None:
    assert isinstance(open_store("postgresql://hub@db.example.com/ocpi"), PostgresStore)
    assert isinstance(open_store("postgres://hub@db.example.com/ocpi"), PostgresStore)
    assert split_url("postgres://hub@db:5433/ocpi?pool_size=4&sslmode=require") == (
        "postgresql://hub@db:5433/ocpi?sslmode=require",
        4,
    )
    assert split_url("postgresql://hub@db/ocpi")[1] == 10
    with pytest.raises(ValueError, match="pool_size"):
        split_url("postgresql://hub@db/ocpi?pool_size=0")
    with pytest.raises(ValueError, match=r"unsupported store URL .*sqlite:///PATH, postgresql://HOST/DB or mongodb"):
        open_store("mysql://hub@db/ocpi")


# --- migrations -----------------------------------------------------------------------------------------------


def test_a_fresh_database_gets_every_migration_once(postgres_url: str) -> None:
    async def body() -> None:
        store = PostgresStore(postgres_url)
        await store.open()
        await store.close()
        await store.open()  # opening again applies nothing
        await store.close()
        assert await applied_versions(postgres_url) == [v for v, _name, _sql in MIGRATIONS]

    run(body)


def test_processes_starting_together_migrate_once(postgres_url: str) -> None:
    async def body() -> None:
        stores = [PostgresStore(postgres_url) for _ in range(4)]
        await asyncio.gather(*(s.open() for s in stores))
        try:
            await stores[0].add_invitation(invitation("after a racing start"))
            assert await stores[3].lookup_token(invitation("after a racing start").token_hash) is not None
        finally:
            await asyncio.gather(*(s.close() for s in stores))
        assert await applied_versions(postgres_url) == [v for v, _name, _sql in MIGRATIONS]

    run(body)


def test_an_older_schema_is_upgraded_keeping_its_data(postgres_url: str) -> None:
    async def body() -> None:
        connection = await asyncpg.connect(postgres_url)
        try:
            assert await migrate(connection, upto=1) == [1]
            old = PostgresStore(postgres_url)
            old._pool = await asyncpg.create_pool(postgres_url, min_size=1, max_size=2)  # the version-1 tables only
            await old.insert_partner(partner("DE-OLD"), consume_invitation=None)
            await old.enqueue([_delivery("before-7", "R|locations|NL/CPO|L1")])  # a row from before ``parked``
            await old._pool.close()
        finally:
            await connection.close()
        store = PostgresStore(postgres_url)
        await store.open()
        try:
            assert await store.get_partner("DE-OLD") == partner("DE-OLD")
            assert await store.take_lease("liveness", "p1", at(0), at(30))  # a table of version 2
            assert await store.degraded() == {}  # a table of version 3
            assert (await store.health())["active_partners"] == 1  # counted through the index of version 4
            _, cursor = await store.partners_removed(None)
            assert await store.delete_partner("DE-OLD")
            assert "DE-OLD" in (await store.partners_removed(cursor))[0]  # noted in the table of version 5
            claimed = await store.claim_deliveries("w", at(100), at(130), 8, per_receiver=4)
            assert [d.delivery_id for d in claimed] == ["before-7"]  # not parked by the new column's default
        finally:
            await store.close()
        assert await applied_versions(postgres_url) == [1, 2, 3, 4, 5, 6, 7, 8]
        connection = await asyncpg.connect(postgres_url)
        try:
            indexes = await connection.fetch("SELECT indexname FROM pg_indexes WHERE tablename = 'partners'")
            assert "partners_status" in {row[0] for row in indexes}
            indexes = await connection.fetch("SELECT indexname FROM pg_indexes WHERE tablename = 'deliveries'")
            names = {row[0] for row in indexes}
            assert "deliveries_pending" not in names  # version 6
            # version 7: the walk leaves parked rows out; the receivers' index has seq; parked rows are found
            assert {"deliveries_walk", "deliveries_receiver_seq", "deliveries_parked"} <= names, names
            assert not {"deliveries_sendable", "deliveries_receiver"} & names, names
            # version 8: the outbox vacuumed unthrottled once 5,000 rows have gone
            options = await connection.fetchval("SELECT reloptions FROM pg_class WHERE relname = 'deliveries'")
            assert {
                "autovacuum_vacuum_cost_delay=0",
                "autovacuum_vacuum_scale_factor=0",
                "autovacuum_vacuum_threshold=5000",
            } <= set(options), options
        finally:
            await connection.close()

    run(body)


def test_a_schema_from_a_newer_hub_is_refused(postgres_url: str) -> None:
    async def body() -> None:
        store = PostgresStore(postgres_url)
        await store.open()
        await store.close()
        connection = await asyncpg.connect(postgres_url)
        try:
            await connection.execute("INSERT INTO hub_schema_migrations (version, name) VALUES (99, 'from the future')")
        finally:
            await connection.close()
        with pytest.raises(SchemaTooNew, match="schema version 99, newer than this hub knows"):
            await PostgresStore(postgres_url).open()

    run(body)


# --- plans at scale -------------------------------------------------------------------------------------------


def _nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    found = [plan]
    for child in plan.get("Plans", []):
        found += _nodes(child)
    return found


async def _explain(connection: asyncpg.Connection, statement: str, *args: Any) -> dict[str, Any]:
    rows = await connection.fetchval(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {statement}", *args)
    plan: dict[str, Any] = json.loads(rows)[0]["Plan"]
    return plan


def _blocks(plan: dict[str, Any]) -> int:
    return int(plan["Shared Hit Blocks"]) + int(plan["Shared Read Blocks"])


def _location(n: int) -> StoredObject:
    body = b'{"id": "LOC%06d", "name": "' % n + b"x" * 300 + b'"}'
    owner = "NL/CPO" if n % 2 else "DE/CPO"
    return StoredObject(
        module="locations",
        owner=owner,
        object_id=f"LOC{n:06d}",
        partner_id=owner.replace("/", "-"),
        last_updated=at(n),
        created=at(n),
        body=body,
    )


@pytest.mark.slow
def test_the_last_page_of_100000_locations_reads_the_index_not_the_skipped_rows(postgres_url: str) -> None:
    """The count and the skip over the offset are index-only scans of objects_page (no heap row is fetched for a
    skipped object), the page's rows are fetched by primary key, and the last page reads about as many table
    blocks as the first. Checked with the generic plan the server settles on for a prepared statement and with a
    custom one, for the whole list and for one party's view."""

    async def body() -> None:
        store = PostgresStore(postgres_url)
        await store.open()
        try:
            await store.insert_objects([_location(n) for n in range(LOCATIONS)])
            connection = await asyncpg.connect(postgres_url)
            try:
                # the bulk insert left the table analysed and all-visible, as autovacuum would soon after
                visible = await connection.fetchrow(
                    "SELECT relpages, relallvisible FROM pg_class WHERE relname = 'objects'"
                )
                assert visible[0] == visible[1], visible
                for mode in ("force_generic_plan", "force_custom_plan"):
                    await connection.execute(f"SET plan_cache_mode = {mode}")
                    for query in (
                        ObjectQuery(module="locations"),
                        ObjectQuery(module="locations", readers=("NL/CPO",), date_from=at(10)),
                    ):
                        total = (await store.list_objects(query)).total
                        assert total in (LOCATIONS, LOCATIONS // 2 - 5)
                        blocks = {}
                        for offset in (0, total - 100):
                            paged = ObjectQuery(**{**_fields(query), "offset": offset, "limit": 100})
                            count, page, params = page_statements(paged)
                            counted = await _explain(connection, count, *params[:-2])
                            scans = [n for n in _nodes(counted) if "Scan" in n["Node Type"]]
                            assert [n["Node Type"] for n in scans] == ["Index Only Scan"], (mode, counted)
                            assert all(n["Heap Fetches"] == 0 for n in scans), (mode, counted)
                            read = await _explain(connection, page, *params)
                            nodes = _nodes(read)
                            skipping = [n for n in nodes if n.get("Index Name") == "objects_page"]
                            assert [n["Node Type"] for n in skipping] == ["Index Only Scan"], (mode, read)
                            assert skipping[0]["Heap Fetches"] == 0, (mode, read)
                            fetching = [n for n in nodes if n["Node Type"] == "Index Scan"]
                            assert [n["Index Name"] for n in fetching] == ["objects_pkey"], (mode, read)
                            assert read["Actual Rows"] == 100, (mode, read)
                            blocks[offset] = _blocks(read) - _blocks(skipping[0])
                        first, last = blocks.values()
                        # rows of the page itself: the same handful of table blocks whatever the offset
                        assert last <= first + 10, (mode, query, blocks)
            finally:
                await connection.close()
        finally:
            await store.close()

    run(body)


def _fields(query: ObjectQuery) -> dict[str, Any]:
    return {f: getattr(query, f) for f in query.__struct_fields__}


def test_finding_an_id_across_owners_uses_the_unique_index(postgres_url: str) -> None:
    """A real-time authorization looks a token up by uid alone: it must not walk the module in creation order."""

    async def body() -> None:
        store = PostgresStore(postgres_url)
        await store.open()
        try:
            tokens = [
                StoredObject(
                    module="tokens",
                    owner="NL/MSP",
                    object_id=f"UID{n}|RFID",
                    partner_id="NL-MSP",
                    last_updated=at(0),
                    created=at(0),
                    body=b"{}",
                )
                for n in range(20_000)
            ]
            await store.insert_objects(tokens)
            connection = await asyncpg.connect(postgres_url)
            try:
                await connection.execute("ANALYZE objects")
                for mode in ("force_generic_plan", "force_custom_plan"):
                    await connection.execute(f"SET plan_cache_mode = {mode}")
                    for statement in (FIND_BY_ID, FIND_OWNERS):
                        plan = await _explain(connection, statement, "tokens", "UID7|RFID", 2)
                        indexes = {n.get("Index Name") for n in _nodes(plan)} - {None}
                        assert indexes == {"objects_module_object_id_owner_key"}, (mode, statement, plan)
                        assert plan["Actual Rows"] == 1
            finally:
                await connection.close()
        finally:
            await store.close()

    run(body)


def test_partners_of_one_status_are_counted_and_paged_from_the_status_index(postgres_url: str) -> None:
    """GET /health and the caches of partners count the ACTIVE ones; the dashboard pages one status in list order.
    Neither may scan the table, and a page must not sort every partner of its status."""

    async def body() -> None:
        store = PostgresStore(postgres_url)
        await store.open()
        try:
            connection = await asyncpg.connect(postgres_url)
            try:
                # 20,000 partners, 90% ACTIVE, with documents the size of a real one
                await connection.execute(
                    "INSERT INTO partners (partner_id, status, token_hash, created, updated, doc)"
                    " SELECT 'NL-' || n, CASE WHEN n % 10 = 0 THEN 'INACTIVE' ELSE 'ACTIVE' END, 'h' || n,"
                    " now() - n * interval '1 second', now(), convert_to(repeat('x', 600), 'UTF8')"
                    " FROM generate_series(1, 20000) AS n"
                )
                await connection.execute("VACUUM ANALYZE partners")
                count = await _explain(connection, "SELECT count(*) FROM partners WHERE status = 'ACTIVE'")
                scans = {n["Node Type"]: n.get("Index Name") for n in _nodes(count)}
                assert "Seq Scan" not in scans and "partners_status" in scans.values(), count
                page = await _explain(
                    connection,
                    "SELECT doc FROM partners WHERE status = ANY($1::text[]) ORDER BY created, partner_id LIMIT 50",
                    ["INACTIVE"],
                )
                nodes = {n["Node Type"] for n in _nodes(page)}
                assert "Sort" not in nodes and "Seq Scan" not in nodes, page
            finally:
                await connection.close()
        finally:
            await store.close()

    run(body)


def test_claims_walk_the_pending_index_without_sorting_the_backlog(postgres_url: str) -> None:
    async def body() -> None:
        store = PostgresStore(postgres_url)
        await store.open()
        try:
            await store.enqueue([_delivery(f"d{n}", f"R|locations|NL/CPO|L{n}") for n in range(5000)])
            connection = await asyncpg.connect(postgres_url)
            try:
                await connection.execute("ANALYZE deliveries")
                async with connection.transaction():
                    plan = await _explain(connection, CLAIM_DUE, "w", at(130), at(100), 64)
                    raise _Rollback
            except _Rollback:
                pass
            finally:
                await connection.close()
            nodes = _nodes(plan)
            assert "deliveries_walk" in {n.get("Index Name") for n in nodes}, plan
            assert not any(n["Node Type"] == "Sort" for n in nodes), plan
            walked = [n for n in nodes if n.get("Index Name") == "deliveries_walk"]
            assert walked[0]["Actual Rows"] <= 64, plan
        finally:
            await store.close()

    run(body)


def test_a_claim_prepared_while_the_outbox_was_small_reads_its_backlog_once_not_once_per_row_taken(
    postgres_url: str,
) -> None:
    """asyncpg prepares each statement once per connection, and after five runs PostgreSQL may keep one generic plan
    for it, made from the statistics of that moment. The walk of a claim, prepared on the store's own connection
    while the outbox held a few rows and run again when 20,000 wait (not analysed yet: autovacuum is off for the
    table here, as it is in effect for the minute before it first wakes), must read each waiting row at most a few
    times. The generic plan made for a few rows read every pending row again for each row it took (64 x 20,000),
    6 to 7 s per claim at 100,000 rows (``postgres.SERVER_SETTINGS``)."""
    backlog = 20_000
    walk = f"EXECUTE walk('{at(130)}', '{{}}', 64)"  # EXECUTE takes no bound parameters: the claim's, as literals

    async def body() -> None:
        store = PostgresStore(f"{postgres_url}?pool_size=1")  # one connection: the statement is prepared on it
        await store.open()
        try:
            async with store.pool.acquire() as connection:
                await connection.execute("ALTER TABLE deliveries SET (autovacuum_enabled = false)")
                await connection.execute(f"PREPARE walk(timestamptz, text[], integer) AS {CLAIM_CANDIDATES}")
            await store.enqueue([_delivery(f"s{n}", f"R{n % 50:02}|locations|NL/CPO|S{n}") for n in range(50)])
            async with store.pool.acquire() as connection:
                for _ in range(8):  # past the five runs after which a generic plan may be kept
                    await connection.execute(walk)
            await store.enqueue([_delivery(f"b{n}", f"R{n % 50:02}|locations|NL/CPO|B{n}") for n in range(backlog)])
            async with store.pool.acquire() as connection:
                raw = await connection.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) {walk}")
            plan = json.loads(raw)[0]["Plan"]
            assert plan["Actual Rows"] == 64, plan
            assert _rows_read(plan) < 4 * backlog, plan
        finally:
            await store.close()

    run(body)


def test_a_new_outbox_is_analysed_by_the_first_claim_that_finds_it_filled(postgres_url: str) -> None:
    """Until PostgreSQL holds statistics of the outbox (autovacuum analyses a new table up to a minute after it began
    to fill; off here), a claim's walk read every waiting row and its lease a bitmap of every pending row. A claim
    that finds ``ANALYSE_AT`` rows waiting and no statistics analyses the table; from then on the walk reads a few
    rows per row it takes and the lease the rows chosen alone."""
    backlog = 20_000

    async def body() -> None:
        store = PostgresStore(postgres_url)
        await store.open()
        try:
            await store.pool.execute("ALTER TABLE deliveries SET (autovacuum_enabled = false)")
            known = "SELECT count(*) FROM pg_stats WHERE tablename = 'deliveries' AND attname = 'state'"
            await store.enqueue([_delivery(f"s{n}", f"R{n % 50:02}|locations|NL/CPO|S{n}") for n in range(50)])
            assert len(await store.claim_deliveries("w", at(130), at(200), 8, room={}, per_receiver=32)) == 8
            assert await store.pool.fetchval(known) == 0  # 50 rows waiting: not worth it yet
            await store.enqueue([_delivery(f"b{n}", f"R{n % 50:02}|locations|NL/CPO|B{n}") for n in range(backlog)])
            store._next_stats_look = 0.0  # the next look is due (it waits STATS_LOOK seconds between two)
            assert len(await store.claim_deliveries("w", at(130), at(200), 64, room={}, per_receiver=32)) == 64
            assert await store.pool.fetchval(known) == 1
            chosen = [row[0] for row in await store.pool.fetch(CLAIM_CANDIDATES, at(130), [], 64)]
            connection = await asyncpg.connect(postgres_url)
            try:
                async with connection.transaction():
                    walk = await _explain(connection, CLAIM_CANDIDATES, at(130), [], 64)
                    lease = await _explain(connection, LEASE_CHOSEN, "w", at(200), chosen, at(130))
                    raise _Rollback
            except _Rollback:
                pass
            finally:
                await connection.close()
            assert walk["Actual Rows"] == 64 and _rows_read(walk) <= 10 * 64, walk
            assert lease["Actual Rows"] == 64 and _rows_read(lease) <= 2 * 64, lease
        finally:
            await store.close()

    run(body)


def test_a_failed_analysis_of_the_outbox_leaves_the_claim_whole(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The look at the outbox's statistics is the claim's side work: when its statement fails (here a stand-in
    statement the server refuses), the claim still takes its rows, the failure is logged once, and the store stops
    looking (autovacuum will analyse the table)."""
    monkeypatch.setattr(postgres_outbox, "_OUTBOX_KNOWN", "SELECT no_such_column FROM deliveries")

    async def body() -> None:
        store = PostgresStore(postgres_url)
        await store.open()
        try:
            await store.enqueue([_delivery(f"d{n}", f"R{n % 5}|locations|NL/CPO|L{n}") for n in range(10)])
            assert len(await store.claim_deliveries("w", at(130), at(200), 4, room={}, per_receiver=32)) == 4
            store._next_stats_look = 0.0
            assert len(await store.claim_deliveries("w", at(130), at(200), 4, room={}, per_receiver=32)) == 4
        finally:
            await store.close()

    with caplog.at_level(logging.WARNING, logger="reference_hub.store.postgres_outbox"):
        run(body)
    failures = [r for r in caplog.records if "analysing the outbox failed" in r.getMessage()]
    assert len(failures) == 1, caplog.text


def _rows_read(plan: dict[str, Any]) -> int:
    """Rows (or index entries) the scans of an explained plan returned, over all their loops."""
    return sum(int(n["Actual Rows"] * n["Actual Loops"]) for n in _nodes(plan) if "Scan" in n["Node Type"])


class _Rollback(Exception):
    """Leave the explained claim undone."""


def _delivery(did: str, stream: str, created: float = 0) -> Delivery:
    return Delivery(
        delivery_id=did,
        receiver=stream.split("|")[0],
        stream=stream,
        method="PUT",
        url=f"http://127.0.0.1:9/{did}",
        headers=[("X-Correlation-ID", "c")],
        body=b"{}",
        created=at(created),
        due=at(0),
    )


# --- several processes ----------------------------------------------------------------------------------------


def test_processes_claiming_at_once_never_take_a_delivery_twice_and_keep_each_stream_in_order(
    postgres_url: str,
) -> None:
    """Four stores (four processes' pools) claim and deliver a backlog of 2,000 deliveries in 200 streams at the
    same time, each with several claims in flight, half of them bounded per receiver (the two-step claim) and half
    not (the one-statement claim): every delivery is taken exactly once, and a stream's deliveries are taken one
    after another in their order."""

    async def body() -> None:
        stores = [PostgresStore(postgres_url) for _ in range(4)]
        for s in stores:
            await s.open()
        try:
            backlog = [_delivery(f"d{n:04d}", f"R{n % 7}|locations|NL/CPO|L{n % 200}", n) for n in range(2000)]
            await stores[0].enqueue(backlog)
            taken: list[tuple[str, str]] = []
            in_flight: set[str] = set()
            overlaps: list[str] = []

            async def worker(store: PostgresStore, owner: str, bounded: bool) -> None:
                idle = 0
                while idle < 3:
                    bound = {"per_receiver": 3, "room": {"R0": 1}} if bounded else {}
                    claimed = await store.claim_deliveries(owner, at(100), at(400), 16, **bound)  # type: ignore[arg-type]
                    if not claimed:
                        idle += 1
                        await asyncio.sleep(0.02)
                        continue
                    idle = 0
                    for d in claimed:
                        if d.stream in in_flight:
                            overlaps.append(d.stream)
                        in_flight.add(d.stream)
                        taken.append((d.stream, d.delivery_id))
                    await asyncio.sleep(0)
                    for d in claimed:
                        in_flight.discard(d.stream)
                        await store.delivered(d.delivery_id, owner)

            await asyncio.gather(
                *(worker(s, f"p{i}-{j}", bounded=(i + j) % 2 == 0) for i, s in enumerate(stores) for j in range(3))
            )
            ids = [d for _s, d in taken]
            assert sorted(ids) == [d.delivery_id for d in backlog], "a delivery was lost or taken twice"
            assert not overlaps, f"two deliveries of one stream were out at once: {overlaps[:3]}"
            by_stream: dict[str, list[str]] = {}
            for stream, did in taken:
                by_stream.setdefault(stream, []).append(did)
            assert all(v == sorted(v) for v in by_stream.values()), "a stream was delivered out of order"
        finally:
            for s in stores:
                await s.close()

    run(body)


def test_another_process_notices_a_revoked_token_through_the_notification(postgres_url: str) -> None:
    async def body() -> None:
        a, b = PostgresStore(postgres_url), PostgresStore(postgres_url)
        await a.open()
        await b.open()
        try:
            await asyncio.sleep(0.1)
            before = b.change_marker()
            started = time.monotonic()
            await a.add_invitation(invitation("seen by b"))
            while b.change_marker() == before:
                await asyncio.sleep(0.005)
                assert time.monotonic() - started < CHANGE_POLL, "no notification: only the poll noticed"
        finally:
            await a.close()
            await b.close()

    run(body)


def test_a_lost_notification_connection_is_covered_by_the_poll(postgres_url: str) -> None:
    """The listening connection is killed (as a failover or a proxy timeout would): the change counter, read every
    CHANGE_POLL seconds, still moves the marker, and the listener comes back."""

    async def body() -> None:
        a, b = PostgresStore(postgres_url), PostgresStore(postgres_url)
        await a.open()
        await b.open()
        admin = await asyncpg.connect(postgres_url)
        try:
            assert b._listener is not None
            pid = b._listener.get_server_pid()
            await admin.execute("SELECT pg_terminate_backend($1)", pid)
            await asyncio.sleep(0.2)
            before = b.change_marker()
            started = time.monotonic()
            await a.add_invitation(invitation("while b was deaf"))
            while b.change_marker() == before:
                await asyncio.sleep(0.01)
                assert time.monotonic() - started < 3 * CHANGE_POLL, "the marker did not move"
            deadline = time.monotonic() + 5
            while b._listener is None or b._listener.get_server_pid() == pid:
                await asyncio.sleep(0.05)
                assert time.monotonic() < deadline, "the listener was not re-established"
        finally:
            await admin.close()
            await a.close()
            await b.close()

    run(body)
