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
        self.open = asyncio.Event()
        self.open.set()
        self.fail = False
        self.reads = 0

    def add(self, partner: Partner) -> None:
        self.written.append(partner)

    def remove(self, partner_id: str) -> None:
        self.gone.add(partner_id)

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


def test_a_removed_partner_leaves_both_views() -> None:
    """A removal is not among the changes (its row is gone): the count finds it, and every partner is read again."""

    async def main() -> None:
        store = _SlowStore()
        for partner_id in ("NL-ONE", "DE-TWO"):
            store.add(_partner(partner_id))
        deliveries = Deliveries(Settings(), store, None, None, None)  # type: ignore[arg-type]
        registrar = Registrar(Settings(), store, None, None, None)  # type: ignore[arg-type]
        assert len(await deliveries.active_partners()) == len(await registrar._reachable_roles()) == 2
        store.remove("DE-TWO")
        assert [p.partner_id for p in await deliveries.active_partners()] == ["NL-ONE"]
        assert list(await registrar._reachable_roles()) == ["NL-ONE"]

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
