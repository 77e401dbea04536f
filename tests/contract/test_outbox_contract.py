"""The Outbox contract: one suite, every adapter (adapters and skips as in test_store_contract.py)."""

from __future__ import annotations

from datetime import timedelta

import msgspec
import pytest

from reference_hub.ocpi.datetime import DateTime
from reference_hub.store.base import Conflict
from reference_hub.store.callbacks import CallbackState
from reference_hub.store.mongo import MongoStore
from reference_hub.store.outbox import ANNOUNCEMENTS, Delivery, DeliveryQuery, DeliveryState
from tests.contract.test_object_store_contract import obj
from tests.contract.test_store_contract import TRANSACTIONS, Backend, Harness, backend, run

__all__ = ("backend",)

T0 = DateTime.parse("2024-03-01T10:00:00Z")


def at(seconds: float) -> DateTime:
    return DateTime.from_datetime(T0 + timedelta(seconds=seconds))


def delivery(did: str, *, receiver: str = "DE-MSP", stream: str = "s1", due: float = 0, created: float = 0) -> Delivery:
    return Delivery(
        delivery_id=did,
        receiver=receiver,
        stream=stream,
        method="PUT",
        url=f"http://127.0.0.1:9/{did}",
        headers=[("X-Correlation-ID", "c1"), ("OCPI-to-party-id", "MSP")],
        body=b'{"id": "x"}',
        created=at(created),
        due=at(due),
    )


async def claim(h: Harness, owner: str = "w1", now: float = 100, limit: int = 10) -> list[str]:
    got = await h.store.claim_deliveries(owner, at(now), at(now + 30), limit)
    return [d.delivery_id for d in got]


def test_claim_leases_the_oldest_of_each_stream_once(backend: Backend) -> None:
    async def body(h: Harness) -> None:
        await h.store.enqueue(
            [
                delivery("a1", stream="a", created=1),
                delivery("a2", stream="a", created=2),
                delivery("b1", stream="b", created=3),
                delivery("later", stream="c", due=500, created=4),
            ]
        )
        assert await claim(h) == ["a1", "b1"]
        assert await claim(h, owner="w2") == []  # leased, and a2 waits behind a1
        await h.store.delivered("a1", "w1")
        assert await claim(h, owner="w2") == ["a2"]
        assert await claim(h, owner="w3", now=200) == ["a2", "b1"]  # the leases expired at 130
        await h.store.delivered("b1", "w1")  # not w1's lease any more: nothing happens
        assert [
            d.delivery_id for d in await h.store.list_deliveries(receiver=None, state=DeliveryState.PENDING, limit=9)
        ] == ["a2", "b1", "later"]

    run(backend, body)


def test_rows_enqueued_together_keep_the_order_they_were_given_in(backend: Backend) -> None:
    """A plan's rows go to the store in one call (one statement on PostgreSQL): a stream's order is the order of its
    rows there, whatever their ids and times say."""
    import random

    async def body(h: Harness) -> None:
        ids = [f"{n:03d}-{random.Random(n).getrandbits(32):08x}" for n in range(300)]
        order = random.Random(7).sample(ids, len(ids))  # neither the ids' nor the creation times' order
        await h.store.enqueue([delivery(did, stream=f"s{n % 3}", created=5) for n, did in enumerate(order)])
        listed = await h.store.list_deliveries(receiver=None, state=DeliveryState.PENDING, limit=400)
        assert [d.delivery_id for d in listed] == order
        assert await claim(h) == order[:3]  # the first of each stream

    run(backend, body)


def test_claims_respect_each_receivers_room(backend: Backend) -> None:
    """A receiver with a deep backlog cannot fill a claim: the worker says how many more of each it may take."""

    async def body(h: Harness) -> None:
        await h.store.enqueue(
            [delivery(f"slow{n}", receiver="NL-SLOW", stream=f"s{n}", created=n) for n in range(6)]
            + [delivery(f"fast{n}", receiver="DE-FAST", stream=f"f{n}", created=10 + n) for n in range(3)]
            + [delivery("other", receiver="BE-OTH", stream="o", created=20)]
        )
        got = await h.store.claim_deliveries("w1", at(100), at(130), 4, per_receiver=2)
        assert [d.delivery_id for d in got] == ["slow0", "slow1", "fast0", "fast1"]
        got = await h.store.claim_deliveries("w2", at(100), at(130), 10, room={"NL-SLOW": 0, "DE-FAST": 1})
        assert [d.delivery_id for d in got] == ["fast2", "other"]
        got = await h.store.claim_deliveries("w3", at(100), at(130), 10, room={"NL-SLOW": 1}, per_receiver=0)
        assert [d.delivery_id for d in got] == ["slow2"]

    run(backend, body)


def test_a_receiver_back_with_a_long_backlog_does_not_crowd_the_others_out_of_a_claim(backend: Backend) -> None:
    """A receiver that was down holds the oldest rows, more than any walk in age order would look at: a bounded claim
    still gives it only its room and every other receiver its own."""

    async def body(h: Harness) -> None:
        await h.store.enqueue([delivery(f"back{n}", receiver="NL-BACK", stream=f"b{n}", created=0) for n in range(600)])
        await h.store.enqueue(
            [delivery(f"{r}{n}", receiver=f"DE-{r}", stream=f"{r}{n}", created=60 + n) for r in "XYZ" for n in range(3)]
        )
        got = await h.store.claim_deliveries("w1", at(100), at(130), 16, per_receiver=4)
        by_receiver: dict[str, int] = {}
        for d in got:
            by_receiver[d.receiver] = by_receiver.get(d.receiver, 0) + 1
        assert by_receiver == {"NL-BACK": 4, "DE-X": 3, "DE-Y": 3, "DE-Z": 3}
        assert [d.delivery_id for d in got if d.receiver == "NL-BACK"] == ["back0", "back1", "back2", "back3"]
        got = await h.store.claim_deliveries("w2", at(100), at(130), 16, room={"NL-BACK": 0}, per_receiver=4)
        assert got == []  # the backlog's receiver is full, the others have nothing left

    run(backend, body)


def test_parked_rows_are_taken_by_no_claim_until_their_receiver_is_unparked(backend: Backend) -> None:
    """The rows of a receiver out of rotation are parked: no claim, bounded or not, walking or asking receiver by
    receiver, takes one. A later park of the same receiver parks what was enqueued since; unparking returns them in
    their order, and a stream's newer row still waits behind its parked older one."""

    async def body(h: Harness) -> None:
        await h.store.enqueue([delivery(f"out{n}", receiver="NL-OUT", stream=f"o{n % 2}", created=n) for n in range(4)])
        await h.store.enqueue([delivery("other", receiver="DE-ON", stream="d", created=10)])
        await h.store.park_deliveries(["NL-OUT"])
        await h.store.enqueue([delivery("late", receiver="NL-OUT", stream="o2", created=20)])  # after the park
        stats = {st.receiver: (st.pending, st.parked) for st in await h.store.outbox_stats()}
        assert stats == {"NL-OUT": (5, 4), "DE-ON": (1, 0)}  # what the operator's views show as set aside
        # ... and row by row, in both of the operator's listings
        listed = await h.store.list_deliveries(receiver=None, state=DeliveryState.PENDING, limit=9)
        found = (await h.store.find_deliveries(DeliveryQuery(limit=9))).items
        for rows in (listed, found):
            parked = {d.delivery_id: d.parked for d in rows}
            assert parked == {f"out{n}": True for n in range(4)} | {"other": False, "late": False}
        assert await claim(h, limit=1) == ["other"]  # parked rows are not even passed over on the way
        got = await h.store.claim_deliveries("w2", at(100), at(130), 10, per_receiver=4)
        assert [d.delivery_id for d in got] == ["late"]  # enqueued after the park: not parked yet
        await h.store.delivered_many(["other", "late"], "w1")
        await h.store.delivered_many(["late"], "w2")
        await h.store.enqueue([delivery("later", receiver="NL-OUT", stream="o3", created=30)])
        await h.store.park_deliveries(["NL-OUT"])
        for per_receiver in (None, 1, 4):  # the unbounded claim, the walk, and (room 1 of 4 parked) the asks
            got = await h.store.claim_deliveries("w3", at(100), at(130), 10, per_receiver=per_receiver)
            assert got == [], per_receiver
        assert len(await h.store.list_deliveries(receiver="NL-OUT", state=DeliveryState.PENDING, limit=9)) == 5
        assert [(st.pending, st.parked) for st in await h.store.outbox_stats()] == [(5, 5)]
        await h.store.unpark_deliveries(["NL-OUT"])
        assert [(st.pending, st.parked) for st in await h.store.outbox_stats()] == [(5, 0)]
        assert not any(d.parked for d in (await h.store.find_deliveries(DeliveryQuery(limit=9))).items)
        assert await claim(h, owner="w4") == ["out0", "out1", "later"]  # out2 and out3 wait behind their streams
        await h.store.park_deliveries(["NL-OUT"])  # all its rows again: unparking forgot how far it had parked
        assert await claim(h, owner="w5", now=200) == []

    run(backend, body)


def test_unparking_all_but_some_receivers_returns_everyone_elses_rows(backend: Backend) -> None:
    """A process starting returns every parked row but those of the receivers out of rotation now."""

    async def body(h: Harness) -> None:
        await h.store.enqueue(
            [delivery(f"{r}{n}", receiver=f"NL-{r}", stream=f"{r}{n}", created=n) for r in "ABC" for n in range(2)]
        )
        await h.store.park_deliveries(["NL-A", "NL-B", "NL-C"])
        assert await claim(h) == []
        await h.store.unpark_deliveries(None, keep=["NL-B"])
        assert sorted(await claim(h)) == ["A0", "A1", "C0", "C1"]
        await h.store.unpark_deliveries(None)
        assert sorted(await claim(h, owner="w2")) == ["B0", "B1"]

    run(backend, body)


def test_a_claim_over_many_receivers_takes_the_oldest_rows_within_each_receivers_room(backend: Backend) -> None:
    """An announcement leaves rows for every platform, one platform's after the other's: a bounded claim takes the
    oldest, each receiver's within its room, as asking every receiver would (and without asking them all)."""

    async def body(h: Harness) -> None:
        await h.store.enqueue(
            [
                delivery(f"r{r:03}{n}", receiver=f"DE-{r:03}", stream=f"{r}|{n}", created=r)
                for r in range(200)
                for n in "abc"
            ]
        )
        got = await h.store.claim_deliveries("w1", at(100), at(130), 5, per_receiver=2)
        assert [d.delivery_id for d in got] == ["r000a", "r000b", "r001a", "r001b", "r002a"]
        room = {"DE-000": 0, "DE-001": 0, "DE-002": 1}
        got = await h.store.claim_deliveries("w2", at(100), at(130), 5, room=room, per_receiver=2)
        assert [d.delivery_id for d in got] == ["r002b", "r003a", "r003b", "r004a", "r004b"]

    run(backend, body)


def test_delivered_rows_are_removed_together_only_under_their_lease(backend: Backend) -> None:
    async def body(h: Harness) -> None:
        await h.store.enqueue([delivery(f"d{n}", stream=f"s{n}", created=n) for n in range(5)])
        assert await claim(h, limit=3) == ["d0", "d1", "d2"]
        await h.store.delivered_many(["d0", "d1", "d3"], "w1")  # d3 is not leased by w1: it stays
        await h.store.delivered_many([], "w1")
        pending = await h.store.list_deliveries(receiver=None, state=DeliveryState.PENDING, limit=9)
        assert [d.delivery_id for d in pending] == ["d2", "d3", "d4"]

    run(backend, body)


def test_a_leased_delivery_is_swapped_for_others_only_by_its_lease_holder(backend: Backend) -> None:
    """An announcement row becomes one delivery per receiver in one step: all or nothing, and only by its worker."""

    async def body(h: Harness) -> None:
        await h.store.enqueue([delivery("ann", receiver=ANNOUNCEMENTS, stream="ann")])
        assert await claim_announcements(h) == ["ann"]
        parts = [delivery(f"ci{n}", receiver=f"NL-R{n}", stream=f"r{n}", created=5) for n in range(3)]
        assert await h.store.replace_delivery("ann", "w2", parts) is False  # not w2's lease: nothing written
        pending = await h.store.list_deliveries(receiver=None, state=DeliveryState.PENDING, limit=9)
        assert [d.delivery_id for d in pending] == ["ann"]
        assert await h.store.replace_delivery("ann", "w1", parts) is True
        pending = await h.store.list_deliveries(receiver=None, state=DeliveryState.PENDING, limit=9)
        assert [d.delivery_id for d in pending] == ["ci0", "ci1", "ci2"]
        assert await claim(h, owner="w3") == ["ci0", "ci1", "ci2"]  # due, unleased

    run(backend, body)


def test_announcement_rows_are_claimed_only_as_such_and_planned_a_slice_at_a_time(backend: Backend) -> None:
    """No ordinary claim takes an announcement row, bounded or not, however old; the worker claims it on its own and
    swaps it for a slice of deliveries, keeping the rest of it, which then takes no fold and is claimable again."""

    async def body(h: Harness) -> None:
        store = h.store
        await store.enqueue([delivery("ann", receiver=ANNOUNCEMENTS, stream="ann", created=1)])
        await store.enqueue([delivery("push", stream="p", created=2)])
        assert await claim(h) == ["push"]
        got = await store.claim_deliveries("w1", at(100), at(130), 10, room={"DE-MSP": 5}, per_receiver=5)
        assert got == []  # the push is leased already, and the announcement is not for ordinary claims
        got = await store.claim_deliveries("w1", at(100), at(130), 10, room={ANNOUNCEMENTS: 5}, per_receiver=None)
        assert got == []
        assert await claim_announcements(h) == ["ann"]
        assert await claim_announcements(h, owner="w2") == []  # leased
        parts = [delivery(f"ci{n}", receiver=f"NL-R{n}", stream=f"r{n}", created=5) for n in range(2)]
        assert await store.replace_delivery("ann", "w2", parts, rest=b"second") is False  # not w2's lease
        assert await store.replace_delivery("ann", "w1", parts, rest=b"second") is True
        pending = await store.list_deliveries(receiver=None, state=DeliveryState.PENDING, limit=9)
        assert [d.delivery_id for d in pending] == ["ann", "push", "ci0", "ci1"]
        [left] = [d for d in pending if d.delivery_id == "ann"]
        assert (left.body, left.attempts) == (b"second", 1)
        # A later announcement of the stream waits behind it as a row of its own (what was planned told receivers
        # the first one's content; folding into it now would keep the change from them).
        later = delivery("ann2", receiver=ANNOUNCEMENTS, stream="ann", created=6)
        later.body = b"third"
        await store.enqueue_folded(later, lambda old, new: old + new)
        assert await claim_announcements(h, owner="w2") == ["ann"]  # its lease was released; ann2 waits behind it
        assert await store.replace_delivery("ann", "w2", [delivery("ci9", receiver="NL-R9", stream="r9")]) is True
        assert await claim_announcements(h, owner="w3") == ["ann2"]
        pending = await store.list_deliveries(receiver=ANNOUNCEMENTS, state=DeliveryState.PENDING, limit=9)
        assert [(d.delivery_id, d.body) for d in pending] == [("ann2", b"third")]

    run(backend, body)


async def claim_announcements(h: Harness, owner: str = "w1", now: float = 100) -> list[str]:
    return [d.delivery_id for d in await h.store.claim_announcements(owner, at(now), at(now + 30), 10)]


def test_a_swap_drops_only_the_never_tried_deliveries_of_its_streams(backend: Backend) -> None:
    """A party that changes again before a receiver was told: the untried ClientInfo of that party at that receiver is
    replaced by the new one; one tried already (it may have arrived) or being sent is kept, and so are other streams."""

    async def body(h: Harness) -> None:
        store = h.store
        await store.enqueue(
            [
                delivery("ann", receiver=ANNOUNCEMENTS, stream="ann"),
                delivery("tried", receiver="NL-R2", stream="r2"),
                delivery("leased", receiver="NL-R3", stream="r3"),
            ]
        )
        assert await claim_announcements(h) == ["ann"]
        claimed = await store.claim_deliveries("w1", at(100), at(130), 10)
        assert sorted(d.delivery_id for d in claimed) == ["leased", "tried"]
        tried = next(d for d in claimed if d.delivery_id == "tried")
        tried.attempts, tried.due = 1, at(0)  # sent once, failed: it may have reached the receiver
        await store.reschedule(tried, "w1")
        await store.enqueue([delivery("old", receiver="NL-R1", stream="r1"), delivery("other", stream="r9")])
        news = [delivery(f"new{n}", receiver=f"NL-R{n}", stream=f"r{n}") for n in (1, 2, 3, 4)]
        assert await store.replace_delivery("ann", "w1", news) is True
        pending = await store.list_deliveries(receiver=None, state=DeliveryState.PENDING, limit=20)
        assert [d.delivery_id for d in pending] == ["tried", "leased", "other", "new1", "new2", "new3", "new4"]
        # the replaced one's stream goes on in order: the new delivery is claimable at once
        assert "new1" in await claim(h, owner="w2", now=101)

    run(backend, body)


def test_a_delivery_folds_into_the_newest_row_of_its_stream_only_while_that_was_never_tried(backend: Backend) -> None:
    """A platform that changes its parties again before the last change was announced: the new announcement is folded
    into the waiting row, which keeps its id, place and due time; a row being expanded (leased) or tried once is left
    as it is, and the new one queues behind it."""

    def fold(old: bytes, new: bytes) -> bytes:
        return old + b"+" + new

    def numbered(did: str, stream: str = "ann", due: float = 0) -> Delivery:
        return msgspec.structs.replace(delivery(did, receiver=ANNOUNCEMENTS, stream=stream, due=due), body=did.encode())

    async def bodies(h: Harness) -> list[tuple[str, bytes | None]]:
        pending = await h.store.list_deliveries(receiver=None, state=DeliveryState.PENDING, limit=20)
        return [(d.delivery_id, d.body) for d in pending]

    async def body(h: Harness) -> None:
        store = h.store
        assert await store.enqueue_folded(numbered("a1", due=50), fold) == at(50)  # nothing to fold into: a row
        assert await store.enqueue_folded(numbered("a2", due=80), fold) == at(50)  # folded, due with a1
        assert await store.enqueue_folded(numbered("b1", stream="other"), fold) == at(0)  # another stream
        assert await bodies(h) == [("a1", b"a1+a2"), ("b1", b"b1")]
        assert await claim_announcements(h, now=10) == ["b1"]  # a1 kept the earlier due time (50), not a2's (80)
        await store.delivered("b1", "w1")
        assert await claim_announcements(h, owner="w2", now=60) == ["a1"]
        assert await store.enqueue_folded(numbered("a3", due=90), fold) == at(90)  # a1 is being expanded: a3 waits
        assert await store.enqueue_folded(numbered("a4", due=65), fold) == at(65)  # folded: now due at a4's time
        assert await bodies(h) == [("a1", b"a1+a2"), ("a3", b"a3+a4")]
        assert await store.replace_delivery("a1", "w2", []) is True
        [a3] = await store.claim_announcements("w3", at(70), at(100), 10)
        a3.attempts = 1  # tried once (a row of any stream): it may have reached its receiver, so it is not rewritten
        await store.reschedule(a3, "w3")
        assert await store.enqueue_folded(numbered("a5"), fold) == at(0)
        assert await bodies(h) == [("a3", b"a3+a4"), ("a5", b"a5")]

    run(backend, body)


def test_reschedule_retry_drop_and_stats(backend: Backend) -> None:
    async def body(h: Harness) -> None:
        await h.store.enqueue([delivery("d1"), delivery("d2", stream="s2", receiver="NL-OTH")])
        [first, _] = await h.store.claim_deliveries("w1", at(100), at(130), 10)
        first.attempts, first.due, first.last_error = 1, at(110), "timeout"
        await h.store.reschedule(first, "w1")
        assert await claim(h, owner="w2", now=105) == []
        assert await claim(h, owner="w2", now=111) == ["d1"]
        first.state, first.last_error = DeliveryState.FAILED, "gave up"
        await h.store.reschedule(first, "w2")
        stats = {s.receiver: s for s in await h.store.outbox_stats()}
        assert (stats["DE-MSP"].pending, stats["DE-MSP"].failed, stats["DE-MSP"].last_error) == (0, 1, "gave up")
        assert stats["NL-OTH"].pending == 1
        failed = await h.store.list_deliveries(receiver="DE-MSP", state=DeliveryState.FAILED, limit=5)
        assert [(d.delivery_id, d.attempts, d.body) for d in failed] == [("d1", 1, b'{"id": "x"}')]
        assert failed[0].headers == [("X-Correlation-ID", "c1"), ("OCPI-to-party-id", "MSP")]
        assert await h.store.retry_delivery("d1", at(200)) is True
        assert await h.store.retry_delivery("d1", at(200)) is False  # not FAILED any more
        assert await claim(h, owner="w3", now=201) == ["d1", "d2"]  # d2: its lease expired
        assert await h.store.drop_delivery("d2") is True
        assert await h.store.drop_delivery("d2") is False

    run(backend, body)


def test_deliveries_are_written_with_the_object_and_not_on_conflict(backend: Backend) -> None:
    async def body(h: Harness) -> None:
        await h.store.write_object(obj("L1"), expected_version=None, deliveries=[delivery("x1")])
        with pytest.raises(Conflict):
            await h.store.write_object(obj("L1"), expected_version=None, deliveries=[delivery("x2", stream="s9")])
        assert await claim(h) == ["x1"]
        assert await h.store.delete_object("locations", "NL/CPO", "L1", deliveries=[delivery("x3", stream="s3")])
        assert not await h.store.delete_object("locations", "NL/CPO", "L1", deliveries=[delivery("x4", stream="s4")])
        assert await claim(h, owner="w2") == ["x3"]

    run(backend, body)


def test_a_write_whose_outbox_rows_fail_leaves_nothing_behind(backend: Backend) -> None:
    """The object (or the taken result) and its deliveries are one transaction: when a delivery cannot be stored (here
    its id is taken), the object write, replace or delete is undone with it, and a result is not taken."""
    backend.needs(TRANSACTIONS)
    from tests.contract.test_callback_store_contract import callback

    async def body(h: Harness) -> None:
        store = h.store
        if isinstance(store, MongoStore) and not store.transactions:
            pytest.skip("this MongoDB server is standalone: no multi-document transactions (the adapter warned)")
        await store.enqueue([delivery("taken")])
        clash = [delivery("fresh", stream="s2"), delivery("taken", stream="s3")]
        with pytest.raises(Exception):  # noqa: B017 - each adapter's own duplicate-key error
            await store.write_object(obj("NEW"), expected_version=None, deliveries=clash)
        assert await store.get_object("locations", "NL/CPO", "NEW") is None

        await store.write_object(obj("OLD"), expected_version=None)
        with pytest.raises(Exception):  # noqa: B017
            await store.write_object(obj("OLD", updated=9, version=2), expected_version=1, deliveries=clash)
        kept = await store.get_object("locations", "NL/CPO", "OLD")
        assert kept is not None and kept.version == 1
        with pytest.raises(Exception):  # noqa: B017
            await store.delete_object("locations", "NL/CPO", "OLD", deliveries=clash)
        assert await store.get_object("locations", "NL/CPO", "OLD") is not None

        await store.add_callback(callback("c1"))
        with pytest.raises(Exception):  # noqa: B017
            await store.record_result("c1", "ACCEPTED", finish=True, deliveries=clash)
        open_again = await store.get_callback("c1")
        assert open_again is not None and (open_again.state, open_again.last_result) == (CallbackState.PENDING, None)
        assert await store.record_result("c1", "ACCEPTED", finish=True, deliveries=[delivery("later", stream="s4")])

        pending = await store.list_deliveries(receiver=None, state=DeliveryState.PENDING, limit=9)
        assert sorted(d.delivery_id for d in pending) == ["later", "taken"]

    run(backend, body)


def test_sqlite_claims_walk_the_pending_index_without_sorting_the_backlog(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A claim must take the oldest due deliveries without sorting every due row first: with a backlog of tens of
    thousands that sort made each claim slower than the deliveries it handed out."""
    import sqlite3

    from reference_hub.store.sqlite_outbox import CLAIM_DUE, create_outbox

    db = sqlite3.connect(tmp_path / "plan.db")
    create_outbox(db)
    db.executemany(
        "INSERT INTO deliveries (delivery_id, receiver, stream, method, url, headers, created, due, attempts, state)"
        " VALUES (?, 'R', ?, 'PUT', 'http://r', '[]', '2026', '2026', 0, 'PENDING')",
        [(f"d{n}", f"R|locations|AA/000|L{n}") for n in range(2000)],
    )
    db.execute("ANALYZE")
    plan = " ".join(row[-1] for row in db.execute("EXPLAIN QUERY PLAN " + CLAIM_DUE, ("2027", "2027", 64)))
    assert "deliveries_walk" in plan and "TEMP B-TREE" not in plan, plan


def test_sqlite_a_claim_over_1000_receivers_does_not_ask_each_of_them(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A claim of 8 rows on a store holding rows for 1,000 receivers (an announcement on a hub of 1,000 platforms) runs
    one read, not one per receiver: that cost about a millisecond per ClientInfo sent. Nor do 1,000 announcement rows
    waiting to be planned, older than every delivery (a registration wave), make it ask receiver by receiver: the walk
    never sees them."""
    import asyncio

    from reference_hub.store.sqlite import SqliteStore

    async def body() -> list[str]:
        store = SqliteStore(str(tmp_path / "claims.db"))
        await store.open()
        try:
            await store.enqueue([delivery(f"a{r}", receiver=ANNOUNCEMENTS, stream=f"a{r}") for r in range(1000)])
            await store.enqueue([delivery(f"d{r}", receiver=f"DE-{r:04}", stream=f"{r}") for r in range(1000)])
            statements: list[str] = []
            store.db.set_trace_callback(statements.append)
            got = await store.claim_deliveries("w1", at(100), at(130), 8, per_receiver=32)
            store.db.set_trace_callback(None)
            assert [d.delivery_id for d in got] == [f"d{r}" for r in range(8)]
            return statements
        finally:
            await store.close()

    reads = [s for s in asyncio.run(body()) if s.lstrip().upper().startswith(("SELECT", "WITH"))]
    assert len(reads) == 1, reads[:3]  # the walk (before: the receivers, then each of the 1,000 asked)


def test_sqlite_a_receiver_out_of_rotation_with_the_oldest_rows_costs_a_claim_one_read_once_parked(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A receiver out of rotation holding the oldest 1,000 rows, ahead of rows for 1,000 others: unparked, every walk
    stopped on its rows and the claim asked each receiver for its own (1,001 reads); parked, one read takes the
    others' oldest rows."""
    import asyncio

    from reference_hub.store.sqlite import SqliteStore

    async def body() -> tuple[list[str], list[str]]:
        store = SqliteStore(str(tmp_path / "parked.db"))
        await store.open()
        try:
            await store.enqueue([delivery(f"o{n}", receiver="NL-OUT", stream=f"o{n}") for n in range(1000)])
            await store.enqueue([delivery(f"d{r}", receiver=f"DE-{r:04}", stream=f"{r}") for r in range(1000)])
            await store.park_deliveries(["NL-OUT"])
            traces: list[list[str]] = []
            for n in range(2):
                if n:
                    await store.unpark_deliveries(["NL-OUT"])
                statements: list[str] = []
                store.db.set_trace_callback(statements.append)
                got = await store.claim_deliveries(f"w{n}", at(100), at(130), 8, room={"NL-OUT": 0}, per_receiver=32)
                store.db.set_trace_callback(None)
                assert [d.delivery_id for d in got] == [f"d{r}" for r in range(8 * n, 8 * n + 8)]
                traces.append([s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))])
            return traces[1], traces[0]
        finally:
            await store.close()

    unparked, parked = asyncio.run(body())
    assert len(unparked) > 1000, len(unparked)  # the defence's reason: the walk, the receivers, then each one asked
    assert len(parked) == 1, parked[:3]


def test_sqlite_a_file_from_before_parking_is_brought_up_to_date(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A store file whose deliveries table predates the ``parked`` column (and whose walk index was
    ``deliveries_sendable``) gets the column, its rows stay claimable, and the old index is gone."""
    import asyncio
    import sqlite3

    from reference_hub.store.sqlite import SqliteStore

    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE deliveries (seq INTEGER PRIMARY KEY, delivery_id TEXT NOT NULL UNIQUE, receiver TEXT NOT NULL,"
        " stream TEXT NOT NULL, method TEXT NOT NULL, url TEXT NOT NULL, headers TEXT NOT NULL, body BLOB,"
        " created TEXT NOT NULL, due TEXT NOT NULL, attempts INTEGER NOT NULL, state TEXT NOT NULL, last_error TEXT,"
        " lease_owner TEXT, lease_until TEXT);"
        "CREATE INDEX deliveries_sendable ON deliveries (state, seq) WHERE receiver <> '*announcements';"
        "INSERT INTO deliveries (delivery_id, receiver, stream, method, url, headers, created, due, attempts, state)"
        " VALUES ('old', 'DE-MSP', 's', 'PUT', 'http://127.0.0.1:9/x', '[]', '2024-03-01T10:00:00.000Z',"
        " '2024-03-01T10:00:00.000Z', 0, 'PENDING');"
    )
    db.close()

    async def body() -> list[str]:
        store = SqliteStore(str(path))
        await store.open()
        try:
            got = await store.claim_deliveries("w1", at(100), at(130), 8, per_receiver=4)
            indexes = {row[0] for row in store.db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
            assert "deliveries_walk" in indexes and "deliveries_sendable" not in indexes, indexes
            return [d.delivery_id for d in got]
        finally:
            await store.close()

    assert asyncio.run(body()) == ["old"]


def test_sqlite_a_starting_process_unparks_receiver_by_receiver_and_leaves_the_rest_unread(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """At its first look a process returns the parked rows of every receiver not out of rotation now: the receivers
    with parked rows are found by a skip-scan, and only those to unpark are updated, so a receiver out for long (here
    1,000 parked rows) costs the start a seek, not a pass over its rows."""
    import asyncio

    from reference_hub.store.sqlite import SqliteStore

    async def body() -> tuple[list[str], list[str]]:
        store = SqliteStore(str(tmp_path / "start.db"))
        await store.open()
        try:
            await store.enqueue([delivery(f"k{n}", receiver="NL-KEEP", stream=f"k{n}") for n in range(1000)])
            await store.enqueue([delivery("back", receiver="DE-BACK", stream="b")])
            await store.park_deliveries(["NL-KEEP", "DE-BACK"])
            statements: list[str] = []
            store.db.set_trace_callback(statements.append)
            await store.unpark_deliveries(None, keep=["NL-KEEP"])
            store.db.set_trace_callback(None)
            got = await store.claim_deliveries("w1", at(100), at(130), 8, per_receiver=4)
            return [d.delivery_id for d in got], statements
        finally:
            await store.close()

    claimed, statements = asyncio.run(body())
    assert claimed == ["back"]
    assert not [s for s in statements if "NL-KEEP" in s], statements  # the kept receiver's rows are never named
    updates = [s for s in statements if s.lstrip().upper().startswith("UPDATE")]
    assert len(updates) == 1 and "'DE-BACK'" in " ".join(statements), statements  # one row of the one to return


def test_sqlite_a_long_backlog_is_parked_and_unparked_a_chunk_per_transaction(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A receiver back from a long outage holds a backlog of hundreds of thousands of rows: parked or unparked in one
    statement, SQLite's write lock and the process's event loop were held for over a second. In chunks, other work
    runs in between, and every row still ends up parked, then unparked."""
    import asyncio

    from reference_hub.store import sqlite_outbox
    from reference_hub.store.sqlite import SqliteStore

    monkeypatch.setattr(sqlite_outbox, "PARK_CHUNK", 3)

    async def body() -> tuple[int, int, list[str], list[str]]:
        store = SqliteStore(str(tmp_path / "chunks.db"))
        await store.open()
        ticks = 0
        stop = asyncio.Event()

        async def other_work() -> None:
            nonlocal ticks
            while not stop.is_set():
                ticks += 1
                await asyncio.sleep(0)

        try:
            await store.enqueue([delivery(f"o{n}", receiver="NL-OUT", stream=f"o{n}") for n in range(10)])
            ticker = asyncio.create_task(other_work())
            await asyncio.sleep(0)
            start = ticks
            await store.park_deliveries(["NL-OUT"])
            during_park = ticks - start
            parked = await claim(_Bare(store))  # type: ignore[arg-type]
            start = ticks
            await store.unpark_deliveries(["NL-OUT"])
            during_unpark = ticks - start
            stop.set()
            await ticker
            return during_park, during_unpark, parked, await claim(_Bare(store))  # type: ignore[arg-type]
        finally:
            await store.close()

    during_park, during_unpark, while_parked, after = asyncio.run(body())
    assert while_parked == []
    assert after == [f"o{n}" for n in range(10)]
    assert during_park >= 3 and during_unpark >= 3, (during_park, during_unpark)  # 4 chunks each: 3 pauses


class _Bare:
    """Just enough of a Harness for :func:`claim`."""

    def __init__(self, store) -> None:  # type: ignore[no-untyped-def]
        self.store = store
