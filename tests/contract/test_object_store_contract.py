"""The ObjectStore contract: one suite, every adapter (the adapters and their fakes are those of
test_store_contract.py, which also explains the skips)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from reference_hub.ocpi.datetime import DateTime
from reference_hub.store.base import Conflict, Store
from reference_hub.store.objects import ObjectQuery, StoredObject
from tests.contract.test_store_contract import Backend, Harness, backend, run

__all__ = ("backend",)  # the fixture, re-used

T0 = DateTime.parse("2024-03-01T10:00:00Z")


def at(seconds: float) -> DateTime:
    return DateTime.from_datetime(T0 + timedelta(seconds=seconds))


def obj(
    object_id: str, *, owner: str = "NL/CPO", updated: float = 0, module: str = "locations", **kw: object
) -> StoredObject:
    fields: dict[str, object] = {"last_updated": at(updated), "created": at(updated), **kw}
    return StoredObject(
        module=module,
        owner=owner,
        object_id=object_id,
        partner_id=owner.replace("/", "-"),
        body=f'{{"id": "{object_id}"}}'.encode(),
        **fields,  # type: ignore[arg-type]
    )


async def ids(store: Store, **kw: object) -> tuple[int, list[str]]:
    page = await store.list_objects(ObjectQuery(module=kw.pop("module", "locations"), **kw))  # type: ignore[arg-type]
    return page.total, [o.object_id for o in page.items]


def test_object_round_trips_whole(backend: Backend) -> None:
    async def body(h: Harness) -> None:
        stored = obj("LOC1", audience="DE/MSP", updated=1.5)
        await h.store.write_object(stored, expected_version=None)
        got = await h.store.get_object("locations", "NL/CPO", "LOC1")
        assert got == stored
        assert await h.store.get_object("locations", "NL/CPO", "LOC2") is None
        assert await h.store.get_object("tariffs", "NL/CPO", "LOC1") is None
        assert await h.store.get_object("locations", "NL/OTH", "LOC1") is None

    run(backend, body)


def test_insert_of_an_existing_key_is_a_conflict(backend: Backend) -> None:
    async def body(h: Harness) -> None:
        await h.store.write_object(obj("A"), expected_version=None)
        with pytest.raises(Conflict):
            await h.store.write_object(obj("A", updated=5), expected_version=None)
        got = await h.store.get_object("locations", "NL/CPO", "A")
        assert got is not None and got.last_updated == at(0)
        # the same id under another owner or module is another object
        await h.store.write_object(obj("A", owner="NL/OTH"), expected_version=None)
        await h.store.write_object(obj("A", module="tariffs"), expected_version=None)

    run(backend, body)


def test_replace_is_conditional_on_the_version(backend: Backend) -> None:
    async def body(h: Harness) -> None:
        first = obj("A")
        await h.store.write_object(first, expected_version=None)
        second = obj("A", updated=10, version=2)
        await h.store.write_object(second, expected_version=1)
        with pytest.raises(Conflict):
            await h.store.write_object(obj("A", updated=20, version=2), expected_version=1)
        with pytest.raises(Conflict):
            await h.store.write_object(obj("B", version=2), expected_version=1)
        got = await h.store.get_object("locations", "NL/CPO", "A")
        assert got == second
        assert await h.store.get_object("locations", "NL/CPO", "B") is None

    run(backend, body)


def test_delete(backend: Backend) -> None:
    async def body(h: Harness) -> None:
        await h.store.write_object(obj("A", module="tariffs"), expected_version=None)
        assert await h.store.delete_object("tariffs", "NL/CPO", "A") is True
        assert await h.store.delete_object("tariffs", "NL/CPO", "A") is False
        assert await h.store.get_object("tariffs", "NL/CPO", "A") is None

    run(backend, body)


def test_find_objects_by_id_across_owners_oldest_first(backend: Backend) -> None:
    async def body(h: Harness) -> None:
        await h.store.write_object(obj("X", owner="NL/BBB", updated=2), expected_version=None)
        await h.store.write_object(obj("X", owner="NL/AAA", updated=3), expected_version=None)
        await h.store.write_object(obj("Y", owner="NL/AAA", updated=1), expected_version=None)
        found = await h.store.find_objects("locations", "X")
        assert [o.owner for o in found] == ["NL/BBB", "NL/AAA"]
        assert [o.owner for o in await h.store.find_objects("locations", "X", limit=1)] == ["NL/BBB"]
        assert await h.store.find_objects("tariffs", "X") == []

    run(backend, body)


def test_find_owners_names_the_same_owners_in_the_same_order(backend: Backend) -> None:
    """The owner-only look-up a routed authorization uses: the owners find_objects would give, and nothing else."""

    async def body(h: Harness) -> None:
        await h.store.write_object(obj("X|RFID", owner="NL/BBB", updated=1, module="tokens"), expected_version=None)
        await h.store.write_object(obj("X|RFID", owner="NL/AAA", updated=2, module="tokens"), expected_version=None)
        await h.store.write_object(obj("X|RFID", owner="NL/CCC", updated=3, module="tokens"), expected_version=None)
        await h.store.write_object(obj("X|APP_USER", owner="NL/DDD", module="tokens"), expected_version=None)
        await h.store.write_object(obj("X|RFID", owner="NL/EEE", module="locations"), expected_version=None)
        owners = await h.store.find_owners("tokens", "X|RFID", limit=10)
        assert owners == [o.owner for o in await h.store.find_objects("tokens", "X|RFID", limit=10)]
        assert owners == ["NL/BBB", "NL/AAA", "NL/CCC"]  # oldest first, not by name
        assert await h.store.find_owners("tokens", "X|RFID") == ["NL/BBB", "NL/AAA"]  # two: enough to see ambiguity
        assert await h.store.find_owners("tokens", "X|RFID", limit=1) == ["NL/BBB"]
        assert await h.store.find_owners("tokens", "X|APP_USER") == ["NL/DDD"]
        assert await h.store.find_owners("tokens", "x|rfid") == []  # keys are stored case-folded by the hub
        assert await h.store.find_owners("tariffs", "X|RFID") == []
        assert await h.store.delete_object("tokens", "NL/BBB", "X|RFID") is True
        assert await h.store.find_owners("tokens", "X|RFID") == ["NL/AAA", "NL/CCC"]

    run(backend, body)


def test_list_filters_orders_and_pages(backend: Backend) -> None:
    async def body(h: Harness) -> None:
        for i in range(6):
            await h.store.write_object(obj(f"L{i}", updated=i), expected_version=None)
        await h.store.write_object(obj("T0", module="tariffs"), expected_version=None)
        assert await ids(h.store) == (6, ["L0", "L1", "L2", "L3", "L4", "L5"])
        assert await ids(h.store, date_from=at(2), date_to=at(4)) == (2, ["L2", "L3"])  # from inclusive, to exclusive
        assert await ids(h.store, offset=2, limit=3) == (6, ["L2", "L3", "L4"])
        assert await ids(h.store, offset=5, limit=3) == (6, ["L5"])
        assert await ids(h.store, offset=9) == (6, [])
        assert await ids(h.store, limit=0) == (6, [])
        assert await ids(h.store, date_from=at(1), offset=1, limit=2) == (5, ["L2", "L3"])

    run(backend, body)


def test_replacing_keeps_the_creation_order(backend: Backend) -> None:
    async def body(h: Harness) -> None:
        for i in range(3):
            await h.store.write_object(obj(f"L{i}", updated=i), expected_version=None)
        old = await h.store.get_object("locations", "NL/CPO", "L0")
        assert old is not None
        newer = obj("L0", updated=100, version=2)
        newer.created = old.created
        await h.store.write_object(newer, expected_version=1)
        assert await ids(h.store) == (3, ["L0", "L1", "L2"])
        assert await ids(h.store, date_from=at(50)) == (1, ["L0"])

    run(backend, body)


def test_readers_see_their_own_and_their_audience(backend: Backend) -> None:
    async def body(h: Harness) -> None:
        await h.store.write_object(obj("S1", module="sessions", audience="DE/MSP"), expected_version=None)
        await h.store.write_object(obj("S2", module="sessions", audience="DE/OTH", updated=1), expected_version=None)
        await h.store.write_object(obj("S3", module="sessions", owner="NL/XXX", updated=2), expected_version=None)
        assert await ids(h.store, module="sessions", readers=("DE/MSP",)) == (1, ["S1"])
        assert await ids(h.store, module="sessions", readers=("NL/CPO",)) == (2, ["S1", "S2"])
        assert await ids(h.store, module="sessions", readers=("DE/MSP", "NL/XXX")) == (2, ["S1", "S3"])
        assert await ids(h.store, module="sessions", readers=()) == (0, [])
        assert await ids(h.store, module="sessions", owners=("NL/XXX",)) == (1, ["S3"])
        assert await ids(h.store, module="sessions", owners=("NL/CPO",), readers=("DE/OTH",)) == (1, ["S2"])

    run(backend, body)


def test_objects_survive_close_and_reopen(backend: Backend) -> None:
    backend.needs_second_store()

    async def body(h: Harness) -> None:
        await h.store.write_object(obj("A", audience="DE/MSP"), expected_version=None)
        other = await h.another_store()
        assert await other.get_object("locations", "NL/CPO", "A") == await h.store.get_object(
            "locations", "NL/CPO", "A"
        )
        assert await ids(other) == (1, ["A"])

    run(backend, body)


def test_sqlite_pages_skip_inside_the_covering_index(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The count and the offset skip of a filtered page read the index only, never the skipped rows."""
    import sqlite3

    from reference_hub.store.sqlite_objects import OBJECTS_SCHEMA

    db = sqlite3.connect(tmp_path / "plan.db")
    db.executescript(OBJECTS_SCHEMA)
    query = (
        "SELECT seq FROM objects INDEXED BY objects_page WHERE module = ? AND last_updated >= ?"
        " AND (owner IN (?) OR audience IN (?)) ORDER BY seq LIMIT 100 OFFSET 99900"
    )
    plan = " ".join(row[-1] for row in db.execute("EXPLAIN QUERY PLAN " + query, ("locations", "2024", "A", "A")))
    assert "COVERING INDEX objects_page" in plan, plan
    count = "SELECT count(*) FROM objects INDEXED BY objects_page WHERE module = ? AND last_updated < ?"
    plan = " ".join(row[-1] for row in db.execute("EXPLAIN QUERY PLAN " + count, ("locations", "2024")))
    assert "COVERING INDEX objects_page" in plan, plan


def test_sqlite_finds_an_id_across_owners_through_the_unique_index(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Looking a token up by uid alone (the owner is what the hub wants to learn) must not walk the module's rows."""
    import sqlite3

    from reference_hub.store.sqlite_objects import FIND_BY_ID, FIND_OWNERS, OBJECTS_SCHEMA

    db = sqlite3.connect(tmp_path / "plan.db")
    db.executescript(OBJECTS_SCHEMA)
    db.executemany(
        "INSERT INTO objects (module, owner, object_id, partner_id, last_updated, created, version, body)"
        " VALUES ('tokens', 'NL/MSP', ?, 'NL-MSP', '2024', '2024', 1, x'')",
        [(f"UID{n}|RFID",) for n in range(2000)],
    )
    db.execute("ANALYZE")
    plan = " ".join(row[-1] for row in db.execute("EXPLAIN QUERY PLAN " + FIND_BY_ID, ("tokens", "UID7|RFID", 2)))
    assert "(module=? AND object_id=?)" in plan, plan
    owners = " ".join(row[-1] for row in db.execute("EXPLAIN QUERY PLAN " + FIND_OWNERS, ("tokens", "UID7|RFID")))
    assert "COVERING INDEX" in owners and "(module=? AND object_id=?)" in owners, owners  # the row is never read
    assert "TEMP B-TREE" not in owners, owners  # no sorter built per look-up: the store orders the rows itself


def test_bulk_insert(backend: Backend) -> None:
    async def body(h: Harness) -> None:
        await h.store.insert_objects([obj(f"B{i}", updated=i) for i in range(50)])
        assert await ids(h.store, offset=48) == (50, ["B48", "B49"])
        with pytest.raises(Conflict):
            await h.store.insert_objects([obj("B0")])

    run(backend, body)


def test_a_last_updated_before_the_year_1000_reads_back(backend: Backend) -> None:
    """The fuzzer's find: ``%Y`` writes year 932 as ``932``, which then neither sorts nor parses."""

    async def body(h: Harness) -> None:
        early = DateTime.parse("0932-03-16T23:16:02Z")
        await h.store.write_object(obj("OLD", last_updated=early), expected_version=None)
        [found] = await h.store.find_objects("locations", "OLD")
        assert found.last_updated == early

    run(backend, body)


def test_sqlite_page_totals_are_remembered_only_while_nothing_is_written(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The page reader keeps X-Total-Count per query and data_version: reused while no connection wrote, counted
    again after any commit by another connection."""
    import sqlite3

    from reference_hub.store.sqlite_objects import OBJECTS_SCHEMA, read_page

    path = tmp_path / "counts.db"
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.executescript(OBJECTS_SCHEMA)

    def add(n: int) -> None:
        writer.execute(
            "INSERT INTO objects (module, owner, object_id, partner_id, last_updated, created, version, body)"
            " VALUES ('locations', 'NL/CPO', ?, 'NL-CPO', '2024-03-01T10:00:00Z', '2024-03-01T10:00:00Z', 1, x'7b7d')",
            (f"L{n}",),
        )

    for n in range(5):
        add(n)
    reader = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    counts: dict[tuple[object, ...], tuple[int, int]] = {}
    query = ObjectQuery(module="locations", limit=2)
    assert read_page(reader, query, counts).total == 5
    [(key, (version, _))] = counts.items()
    counts[key] = (version, 99)  # a remembered total is what the next page reports while nothing was written
    assert read_page(reader, query, counts).total == 99
    add(5)
    assert read_page(reader, query, counts).total == 6  # another connection committed: counted again
    assert read_page(reader, ObjectQuery(module="locations", offset=4, limit=2), counts).total == 6
