"""The ACTIVE partners the deliveries keep, and the reachable roles the hub's Credentials list, asked by two callers at
once while the store is still reading (unit level: the store is a stand-in whose read waits until the test lets it
finish, as a PostgreSQL or MongoDB read awaits the server).

The attack: a party connects, and a push is planned (or a GET credentials answered) while another caller (the
still-alive check, every tick; another handshake) is already reading the change. The marker's move is taken by the
first caller; the second must not be handed what was there before the change, or the push skips the party that just
connected, for good."""

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
        self.open = asyncio.Event()
        self.open.set()

    def add(self, partner: Partner) -> None:
        self.written.append(partner)

    def change_marker(self) -> int:
        return len(self.written)

    async def partners_changed(self, after: str | None) -> tuple[list[Partner], str]:
        start = int(after or 0)
        seen = len(self.written)  # what the read's snapshot holds
        await self.open.wait()
        return self.written[start:seen], str(seen)

    async def list_partners(self, **_: Any) -> Any:
        return SimpleNamespace(total=len(self.written))


def test_a_caller_arriving_during_a_read_gets_that_read_not_the_list_from_before() -> None:
    async def main() -> None:
        store = _SlowStore()
        store.add(_partner("NL-ONE"))
        deliveries = Deliveries(Settings(), store, None, None, None)  # type: ignore[arg-type]
        assert [p.partner_id for p in await deliveries.active_partners()] == ["NL-ONE"]

        store.add(_partner("DE-NEW"))  # a party connects: the marker moves
        store.open.clear()
        reading = asyncio.create_task(deliveries.active_partners())  # takes the move, waits on the store
        await asyncio.sleep(0)
        planning = asyncio.create_task(deliveries.active_partners())  # a push planned meanwhile
        for _ in range(5):
            await asyncio.sleep(0)
        store.open.set()
        first, second = await asyncio.gather(reading, planning)
        assert sorted(p.partner_id for p in first) == ["DE-NEW", "NL-ONE"]
        assert sorted(p.partner_id for p in second) == ["DE-NEW", "NL-ONE"]

    asyncio.run(main())


def test_a_credentials_answer_during_a_read_gets_that_read_not_the_roles_from_before() -> None:
    async def main() -> None:
        store = _SlowStore()
        store.add(_partner("NL-ONE"))
        registrar = Registrar(Settings(), store, None, None, None)  # type: ignore[arg-type]
        assert list(await registrar._reachable_roles()) == ["NL-ONE"]

        store.add(_partner("DE-NEW"))
        store.open.clear()
        reading = asyncio.create_task(registrar._reachable_roles())
        await asyncio.sleep(0)
        answering = asyncio.create_task(registrar._reachable_roles())
        for _ in range(5):
            await asyncio.sleep(0)
        assert not answering.done()  # it waits for the read under way
        store.open.set()
        first, second = await asyncio.gather(reading, answering)
        assert sorted(first) == sorted(second) == ["DE-NEW", "NL-ONE"]

    asyncio.run(main())
