"""What hub processes agree on through the store (leases, last-heard times, the offline mark), and the listings a
store copy reads: one suite, every adapter (adapters and skips as in test_store_contract.py)."""

from __future__ import annotations

import asyncio

import pytest

import reference_hub.store.postgres as postgres_module
import reference_hub.store.sqlite as sqlite_module
from reference_hub.store.base import PartnerStatus
from reference_hub.store.objects import ObjectQuery
from tests.contract.test_callback_store_contract import callback
from tests.contract.test_object_store_contract import obj
from tests.contract.test_store_contract import Backend, Harness, at, backend, change, partner, run

__all__ = ("backend",)


def test_a_lease_has_one_holder_until_it_runs_out(backend: Backend) -> None:
    async def body(h: Harness) -> None:
        store = h.store
        assert await store.take_lease("liveness", "p1", at(0), at(30))
        assert not await store.take_lease("liveness", "p2", at(10), at(40))  # held by p1
        assert await store.take_lease("liveness", "p1", at(20), at(50))  # renewed by its holder
        assert not await store.take_lease("liveness", "p2", at(40), at(70))  # the renewal counts
        assert await store.take_lease("other job", "p2", at(40), at(70))  # leases are independent
        assert await store.take_lease("liveness", "p2", at(51), at(81))  # ran out at 50
        assert not await store.take_lease("liveness", "p1", at(60), at(90))

    run(backend, body)


def test_processes_racing_for_a_free_lease_get_one_winner(backend: Backend) -> None:
    backend.needs_second_store()

    async def body(h: Harness) -> None:
        stores = [h.store, *[await h.another_store() for _ in range(3)]]
        won = await asyncio.gather(*(s.take_lease("liveness", f"p{i}", at(0), at(30)) for i, s in enumerate(stores)))
        assert sum(won) == 1, won

    run(backend, body)


def test_heard_times_keep_the_latest_per_partner(backend: Backend) -> None:
    async def body(h: Harness) -> None:
        store = h.store
        assert await store.heard_times() == {}
        await store.note_heard({})
        await store.note_heard({"DE-ABC": at(10), "NL-XYZ": at(5)})
        await store.note_heard({"DE-ABC": at(7), "NL-XYZ": at(6.5)})  # an older time does not win
        assert await store.heard_times() == {"DE-ABC": at(10), "NL-XYZ": at(6.5)}

    run(backend, body)


@pytest.mark.parametrize("partners", [25, 30])
def test_heard_times_are_read_whole_across_pages(
    backend: Backend, monkeypatch: pytest.MonkeyPatch, partners: int
) -> None:
    for module in (sqlite_module, postgres_module):  # pages of 10 (SQLite and PostgreSQL read in pages)
        monkeypatch.setattr(module, "HEARD_PAGE", 10)

    async def body(h: Harness) -> None:
        written = {f"NL-P{n:03d}": at(n % 7) for n in range(partners)}  # a few times shared by many, as written
        await h.store.note_heard(written)
        assert await h.store.heard_times() == written

    run(backend, body)


def test_heard_times_from_another_process_are_seen(backend: Backend) -> None:
    backend.needs_second_store()

    async def body(h: Harness) -> None:
        other = await h.another_store()
        await asyncio.gather(
            h.store.note_heard({"DE-ABC": at(10)}), other.note_heard({"DE-ABC": at(12), "FR-Q": at(1)})
        )
        assert await h.store.heard_times() == {"DE-ABC": at(12), "FR-Q": at(1)}

    run(backend, body)


def test_set_offline_changes_an_active_partner_once(backend: Backend) -> None:
    async def body(h: Harness) -> None:
        store = h.store
        first = partner("DE-ABC")
        await store.insert_partner(first, consume_invitation=None)
        results = await asyncio.gather(*(store.set_offline("DE-ABC", True, at(60)) for _ in range(3)))
        changed = [r for r in results if r is not None]
        assert changed == [change(first, offline=True, updated=at(60))], results
        assert await store.get_partner("DE-ABC") == changed[0]
        assert await store.set_offline("DE-ABC", True, at(70)) is None  # offline already
        back = await store.set_offline("DE-ABC", False, at(80))
        assert back == change(first, offline=False, updated=at(80))
        assert await store.get_partner("DE-ABC") == back
        assert await store.set_offline("NL-NOP", True, at(90)) is None
        await store.insert_partner(partner("FR-SUS", status=PartnerStatus.SUSPENDED), consume_invitation=None)
        assert await store.set_offline("FR-SUS", True, at(90)) is None  # only ACTIVE partners are checked
        # The token still finds the partner, offline mark included (token lookups read the same record).
        found = await store.lookup_token(first.token_hash or "")
        assert found is not None and found.partner == back

    run(backend, body)


def test_object_modules_and_callbacks_are_listed_for_a_copy(backend: Backend) -> None:
    async def body(h: Harness) -> None:
        store = h.store
        assert await store.object_modules() == []
        await store.write_object(obj("T1", module="tariffs"), expected_version=None)
        await store.write_object(obj("L1"), expected_version=None)
        await store.write_object(obj("L2"), expected_version=None)
        assert await store.object_modules() == ["locations", "tariffs"]
        assert (await store.list_objects(ObjectQuery(module="tariffs"))).total == 1
        for n in range(5):
            await store.add_callback(callback(f"c{n}", created=n))
        listed = await store.list_callbacks()
        assert [c.callback_id for c in listed] == [f"c{n}" for n in range(5)]
        assert listed[2] == callback("c2", created=2)
        assert [c.callback_id for c in await store.list_callbacks(offset=3, limit=1)] == ["c3"]
        assert await store.list_callbacks(offset=5) == []

    run(backend, body)
