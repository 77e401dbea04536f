"""The CallbackStore contract (pending response URLs): one suite, every adapter (as in test_store_contract.py)."""

from __future__ import annotations

import asyncio

import msgspec

from reference_hub.store.callbacks import CallbackState, PendingCallback
from reference_hub.store.outbox import DeliveryState
from tests.contract.test_outbox_contract import at, delivery
from tests.contract.test_store_contract import Backend, Harness, backend, run

__all__ = ("backend",)


def callback(cid: str, *, kind: str = "START_SESSION", subject: str = "LOC1", created: float = 0) -> PendingCallback:
    return PendingCallback(
        callback_id=cid,
        module="commands",
        kind=kind,
        requester="DE/MSP",
        requester_partner="DE-MSP",
        receiver="NL/CPO",
        receiver_partner="NL-CPO",
        response_url="https://msp.example.com/ocpi/commands/START_SESSION/42",
        correlation_id="corr-1",
        subject=subject,
        created=at(created),
        expires=at(created + 60),
    )


def test_a_callback_reads_back_as_written_and_moves_its_deadline(backend: Backend) -> None:
    async def body(h: Harness) -> None:
        await h.store.add_callback(callback("c1"))
        assert await h.store.get_callback("c1") == callback("c1")
        assert await h.store.get_callback("nope") is None
        await h.store.set_callback_expiry("c1", at(900))
        found = await h.store.get_callback("c1")
        assert found is not None and found.expires == at(900) and found.state is CallbackState.PENDING

    run(backend, body)


def test_a_result_is_taken_once_with_its_delivery(backend: Backend) -> None:
    async def body(h: Harness) -> None:
        await h.store.add_callback(callback("c1"))
        assert await h.store.record_result("c1", "ACCEPTED", finish=True, deliveries=[delivery("d1")])
        assert not await h.store.record_result("c1", "FAILED", finish=True, deliveries=[delivery("d2")])
        assert not await h.store.record_result("nope", "ACCEPTED", finish=True, deliveries=[delivery("d3")])
        pending = await h.store.list_deliveries(receiver=None, state=DeliveryState.PENDING, limit=9)
        assert [d.delivery_id for d in pending] == ["d1"]
        done = await h.store.get_callback("c1")
        assert done is not None and (done.state, done.last_result) == (CallbackState.DONE, "ACCEPTED")
        assert not await h.store.close_callback("c1")

    run(backend, body)


def test_a_reservation_callback_stays_open_for_a_different_later_result(backend: Backend) -> None:
    async def body(h: Harness) -> None:
        await h.store.add_callback(callback("r1", kind="RESERVE_NOW", subject="RES-1"))
        assert await h.store.record_result("r1", "ACCEPTED", finish=False)
        assert not await h.store.record_result("r1", "ACCEPTED", finish=False)  # a repeat
        assert await h.store.record_result("r1", "CANCELED_RESERVATION", finish=True)
        assert not await h.store.record_result("r1", "ACCEPTED", finish=False)

    run(backend, body)


def test_closing_without_a_result_refuses_later_results(backend: Backend) -> None:
    async def body(h: Harness) -> None:
        await h.store.add_callback(callback("c1"))
        assert await h.store.close_callback("c1")
        assert not await h.store.record_result("c1", "ACCEPTED", finish=True)

    run(backend, body)


def test_find_by_subject_newest_first_with_filters(backend: Backend) -> None:
    async def body(h: Harness) -> None:
        await h.store.add_callback(callback("p1", kind="PUT", subject="Sess-1", created=1))
        await h.store.add_callback(callback("g1", kind="GET", subject="SESS-1", created=2))
        await h.store.add_callback(callback("p2", kind="PUT", subject="sess-1", created=3))
        await h.store.add_callback(callback("x1", kind="PUT", subject="OTHER", created=4))
        await h.store.record_result("p1", "ACCEPTED", finish=True)
        found = await h.store.find_callbacks(module="commands", subject="sess-1")
        assert [c.callback_id for c in found] == ["p2", "g1", "p1"]
        puts = await h.store.find_callbacks(module="commands", subject="SESS-1", kind="PUT", receiver="NL/CPO")
        assert [c.callback_id for c in puts] == ["p2", "p1"]
        accepted = await h.store.find_callbacks(module="commands", subject="SESS-1", last_result="ACCEPTED")
        assert [c.callback_id for c in accepted] == ["p1"]
        assert await h.store.find_callbacks(module="chargingprofiles", subject="SESS-1") == []
        assert await h.store.find_callbacks(module="commands", subject="SESS-1", requester="DE/OTH") == []

    run(backend, body)


def test_concurrent_results_one_winner_across_processes(backend: Backend) -> None:
    backend.needs_second_store()

    async def body(h: Harness) -> None:
        other = await h.another_store()
        await h.store.add_callback(callback("c1"))
        won = await asyncio.gather(
            h.store.record_result("c1", "ACCEPTED", finish=True, deliveries=[delivery("d1")]),
            other.record_result("c1", "FAILED", finish=True, deliveries=[delivery("d2")]),
        )
        assert sorted(won) == [False, True]
        pending = await h.store.list_deliveries(receiver=None, state=DeliveryState.PENDING, limit=9)
        assert len(pending) == 1

    run(backend, body)


def test_purge_removes_expired_records_and_keeps_profile_setters_longer(backend: Backend) -> None:
    async def body(h: Harness) -> None:
        await h.store.add_callback(callback("old", created=0))  # expires at 60
        await h.store.add_callback(callback("new", created=500))  # expires at 560
        setter = msgspec.structs.replace(callback("set", kind="PUT", created=0), module="chargingprofiles")
        await h.store.add_callback(setter)
        await h.store.record_result("set", "ACCEPTED", finish=True)
        assert await h.store.purge_callbacks(expired_before=at(100), setters_before=at(0)) == 1
        assert await h.store.get_callback("old") is None
        assert await h.store.get_callback("new") is not None and await h.store.get_callback("set") is not None
        assert await h.store.purge_callbacks(expired_before=at(100), setters_before=at(100)) == 1
        assert await h.store.get_callback("set") is None

    run(backend, body)
