"""The two per-process views of the ACTIVE partners (the deliveries' receivers, the reachable roles the hub's
Credentials list), kept up to date by one mechanism (``hub/changes.PartnerFeed``), at unit level: the store is a
stand-in whose read waits until the test lets it finish, as a PostgreSQL or MongoDB read awaits the server.

The attack: a party connects, and a push is planned (or a GET credentials answered) while another caller (the
still-alive check, every tick; another handshake) is already reading the change. The marker's move is taken by the
first caller; the second must not be handed what was there before the change, or the push skips the party that just
connected, for good. Also: a removal (its row gone, so no read of the changes shows it), a failed read, and a change
this process made before the marker shows it."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest

from reference_hub.hub.credentials import Registrar
from reference_hub.hub.outbox import Deliveries
from reference_hub.ocpi.datetime import now
from reference_hub.ocpi.models import BusinessDetails, CredentialsRole, Role
from reference_hub.settings import Settings
from reference_hub.store import Partner, PartnerStatus


def _partner(partner_id: str) -> Partner:
    stamp = now()
    country, party = partner_id.split("-")
    return Partner(
        partner_id=partner_id,
        status=PartnerStatus.ACTIVE,
        token_hash=partner_id.lower() * 8,
        versions_url=f"https://{partner_id.lower()}.example.com/ocpi/versions",
        roles=[
            CredentialsRole(
                role=Role.EMSP, business_details=BusinessDetails(name=partner_id), country_code=country, party_id=party
            )
        ],
        created=stamp,
        updated=stamp,
    )


class _SlowStore:
    """Stand-in store: partners numbered in write order; ``partners_changed`` waits for ``open`` before answering."""

    def __init__(self) -> None:
        self.written: list[Partner] = []
        self.gone: set[str] = set()
        """Partners an operator removed: their rows are gone, so no read of the changes shows them."""
        self.removals: list[str] = []
        """The removal log ``partners_removed`` reads (a store keeps it for a day; ``forget_removals`` empties it)."""
        self.open = asyncio.Event()
        self.open.set()
        self.fail = False
        self.reads = 0
        self.counts = 0

    def add(self, partner: Partner) -> None:
        self.written.append(partner)

    def remove(self, partner_id: str) -> None:
        self.gone.add(partner_id)
        self.removals.append(partner_id)

    def register_again(self, partner: Partner) -> None:
        self.gone.discard(partner.partner_id)
        self.add(partner)

    async def partners_removed(self, after: str | None) -> tuple[list[str], str]:
        if after is None:
            return [], str(len(self.removals))
        # The last removal read comes again, as from a store that looks back a margin (PostgreSQL, MongoDB).
        return self.removals[max(int(after) - 1, 0) :], str(len(self.removals))

    async def get_partner(self, partner_id: str) -> Partner | None:
        found = [p for p in self.written if p.partner_id == partner_id and partner_id not in self.gone]
        return found[-1] if found else None

    def change_marker(self) -> int:
        return len(self.written) + len(self.gone)

    async def partners_changed(self, after: str | None) -> tuple[list[Partner], str]:
        self.reads += 1
        start = int(after or 0)
        seen = len(self.written)  # what the read's snapshot holds
        await self.open.wait()
        if self.fail:
            raise ConnectionError("the store went away")
        return [p for p in self.written[start:seen] if p.partner_id not in self.gone], str(seen)

    async def list_partners(self, **_: Any) -> Any:
        self.counts += 1
        return SimpleNamespace(total=len({p.partner_id for p in self.written} - self.gone))


def test_a_caller_arriving_during_a_read_gets_that_read_not_the_list_from_before() -> None:
    async def main() -> None:
        store = _SlowStore()
        store.add(_partner("NL-ONE"))
        deliveries = Deliveries(Settings(), store, None, None, None)  # type: ignore[arg-type]
        assert [p.partner_id for p in await deliveries.active_partners()] == ["NL-ONE"]

        store.add(_partner("DE-NEW"))  # a party connects: the marker moves
        store.open.clear()
        reads = store.reads
        reading = asyncio.create_task(deliveries.active_partners())  # takes the move, waits on the store
        await asyncio.sleep(0)
        planning = asyncio.create_task(deliveries.active_partners())  # a push planned meanwhile
        for _ in range(5):
            await asyncio.sleep(0)
        store.open.set()
        first, second = await asyncio.gather(reading, planning)
        assert sorted(p.partner_id for p in first) == ["DE-NEW", "NL-ONE"]
        assert sorted(p.partner_id for p in second) == ["DE-NEW", "NL-ONE"]
        assert store.reads == reads + 1  # the second caller waited for the read under way rather than reading again

    asyncio.run(main())


def test_a_credentials_answer_during_a_read_gets_that_read_not_the_roles_from_before() -> None:
    async def main() -> None:
        store = _SlowStore()
        store.add(_partner("NL-ONE"))
        registrar = Registrar(Settings(), store, None, None, None)  # type: ignore[arg-type]
        assert list(await registrar._reachable_roles()) == ["NL-ONE"]

        store.add(_partner("DE-NEW"))
        store.open.clear()
        reads = store.reads
        reading = asyncio.create_task(registrar._reachable_roles())
        await asyncio.sleep(0)
        answering = asyncio.create_task(registrar._reachable_roles())
        for _ in range(5):
            await asyncio.sleep(0)
        assert not answering.done()  # it waits for the read under way
        store.open.set()
        first, second = await asyncio.gather(reading, answering)
        assert sorted(first) == sorted(second) == ["DE-NEW", "NL-ONE"]
        assert store.reads == reads + 1

    asyncio.run(main())


def _views(store: _SlowStore) -> tuple[Deliveries, Registrar]:
    deliveries = Deliveries(Settings(), store, None, None, None)  # type: ignore[arg-type]
    registrar = Registrar(Settings(), store, None, None, None)  # type: ignore[arg-type]
    return deliveries, registrar


async def _viewing(*partner_ids: str) -> tuple[_SlowStore, Deliveries, Registrar]:
    """A store holding ``partner_ids`` and both views of it, each having read them all once."""
    store = _SlowStore()
    for partner_id in partner_ids:
        store.add(_partner(partner_id))
    deliveries, registrar = _views(store)
    assert len(await deliveries.active_partners()) == len(await registrar._reachable_roles()) == len(partner_ids)
    return store, deliveries, registrar


def _full_reads(deliveries: Deliveries, registrar: Registrar) -> tuple[int, int]:
    return deliveries._feed.full_reads, registrar._reachable_feed.full_reads


def test_a_removed_partner_leaves_both_views_without_a_read_of_every_partner() -> None:
    """A removal is not among the changes (its row is gone): the store's removal log says which partner left. Before
    it, the views found a removal by counting and read every partner again (1.5 s of a 100,000-party hub's worker)."""

    async def main() -> None:
        store, deliveries, registrar = await _viewing("NL-ONE", "DE-TWO", "BE-TRE")
        store.remove("DE-TWO")
        reads = store.reads
        assert sorted(p.partner_id for p in await deliveries.active_partners()) == ["BE-TRE", "NL-ONE"]
        assert sorted(await registrar._reachable_roles()) == ["BE-TRE", "NL-ONE"]
        assert _full_reads(deliveries, registrar) == (1, 1)  # the first read only
        assert store.reads == reads + 2  # one read of the changes per view, from their cursors

    asyncio.run(main())


def test_a_party_removed_and_registered_anew_stays_in_both_views() -> None:
    """Removals are read before the changes, and a removed id that exists again is not removed from the views."""

    async def main() -> None:
        store, deliveries, registrar = await _viewing("NL-ONE", "DE-TWO")
        store.remove("DE-TWO")
        store.register_again(_partner("DE-TWO"))  # both before the views look again
        assert sorted(p.partner_id for p in await deliveries.active_partners()) == ["DE-TWO", "NL-ONE"]
        assert sorted(await registrar._reachable_roles()) == ["DE-TWO", "NL-ONE"]
        store.add(_partner("IT-TRE"))  # a later change, and the removal read again: it must not remove DE-TWO now
        assert sorted(p.partner_id for p in await deliveries.active_partners()) == ["DE-TWO", "IT-TRE", "NL-ONE"]

    asyncio.run(main())


def test_a_removal_the_store_no_longer_keeps_is_found_by_the_count() -> None:
    """The safety net: a view that missed a removal (older than the stores keep it) finds fewer ACTIVE partners in
    the store than it holds, and reads every partner again."""

    async def main() -> None:
        store, deliveries, registrar = await _viewing("NL-ONE", "DE-TWO")
        store.remove("DE-TWO")
        store.removals.clear()  # pruned before the views looked
        assert [p.partner_id for p in await deliveries.active_partners()] == ["NL-ONE"]
        assert list(await registrar._reachable_roles()) == ["NL-ONE"]
        assert _full_reads(deliveries, registrar) == (2, 2)

    asyncio.run(main())


def test_the_safety_net_counts_at_most_once_per_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    """A platform changing its credentials a few times a second made every process count the ACTIVE partners after
    each change (4 to 11 ms with 100,000 of them): the count now runs at a change at most every COUNT_INTERVAL."""

    async def main() -> None:
        store = _SlowStore()
        store.add(_partner("NL-ONE"))
        deliveries = Deliveries(Settings(), store, None, None, None)  # type: ignore[arg-type]
        await deliveries.active_partners()  # the first read reads everything and counts nothing
        for partner_id in ("DE-AAA", "DE-BBB", "DE-CCC"):
            store.add(_partner(partner_id))
            assert partner_id in {p.partner_id for p in await deliveries.active_partners()}
        assert store.counts == 1
        monkeypatch.setattr("reference_hub.hub.changes.COUNT_INTERVAL", 0.0)
        store.add(_partner("DE-DDD"))
        await deliveries.active_partners()
        assert store.counts == 2

    asyncio.run(main())


def test_a_failed_read_is_tried_again_at_the_next_look() -> None:
    async def main() -> None:
        store = _SlowStore()
        store.add(_partner("NL-ONE"))
        deliveries = Deliveries(Settings(), store, None, None, None)  # type: ignore[arg-type]
        assert len(await deliveries.active_partners()) == 1
        store.add(_partner("DE-NEW"))  # the marker moves
        store.fail = True
        try:
            await deliveries.active_partners()
        except ConnectionError:
            pass
        else:
            raise AssertionError("the store's failure was swallowed")
        store.fail = False  # the marker's move was taken by the failed read: the next look must read anyway
        assert sorted(p.partner_id for p in await deliveries.active_partners()) == ["DE-NEW", "NL-ONE"]

    asyncio.run(main())


def test_a_change_this_process_made_is_read_even_before_the_marker_moves() -> None:
    async def main() -> None:
        store = _SlowStore()
        store.add(_partner("NL-ONE"))
        registrar = Registrar(Settings(), store, SimpleNamespace(forget=lambda: None), None, None)  # type: ignore[arg-type]
        await registrar._reachable_roles()
        reads = store.reads
        await registrar._reachable_roles()
        assert store.reads == reads  # nothing changed: nothing read
        registrar.changed()  # what a handshake in this process calls after its write
        await registrar._reachable_roles()
        assert store.reads == reads + 1

    asyncio.run(main())


def test_views_sharing_a_feed_read_each_change_once_for_both() -> None:
    """A running hub gives both views one feed (``services.build_context``): a change is read once, not per view."""
    from reference_hub.hub.changes import PartnerFeed

    async def main() -> None:
        store = _SlowStore()
        store.add(_partner("NL-ONE"))
        feed = PartnerFeed(store)  # type: ignore[arg-type]
        deliveries = Deliveries(Settings(), store, None, None, None, feed=feed)  # type: ignore[arg-type]
        registrar = Registrar(Settings(), store, None, None, None, feed=feed)  # type: ignore[arg-type]
        assert len(await deliveries.active_partners()) == 1
        assert list(await registrar._reachable_roles()) == ["NL-ONE"]  # filled by the same read
        assert (store.reads, feed.full_reads) == (1, 1)
        store.add(_partner("DE-NEW"))
        store.remove("NL-ONE")
        assert list(await registrar._reachable_roles()) == ["DE-NEW"]
        assert [p.partner_id for p in await deliveries.active_partners()] == ["DE-NEW"]
        assert (store.reads, feed.full_reads) == (2, 1)

    asyncio.run(main())
