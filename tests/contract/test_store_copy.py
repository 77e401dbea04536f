"""``copy_store``: every record the hub keeps arrives whole in the new store, SQLite to PostgreSQL and back, and a
target that holds data is refused (nothing is merged)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from reference_hub.store.base import PartnerStatus, Store
from reference_hub.store.callbacks import CallbackState
from reference_hub.store.copy import TargetNotEmpty, copy_store
from reference_hub.store.objects import ObjectQuery
from reference_hub.store.outbox import DeliveryState
from reference_hub.store.postgres import PostgresStore
from reference_hub.store.sqlite import SqliteStore
from tests.contract.test_callback_store_contract import callback
from tests.contract.test_object_store_contract import obj
from tests.contract.test_outbox_contract import delivery
from tests.contract.test_store_contract import at, change, invitation, partner, token_hash


async def _fill(store: Store) -> None:
    await store.insert_partner(partner("DE-ACT", "DE/ACT", "DE/TWO", created=at(2)), consume_invitation=None)
    await store.insert_partner(
        partner("NL-SUS", status=PartnerStatus.SUSPENDED, created=at(1)), consume_invitation=None
    )
    await store.insert_partner(
        partner("FR-OLD", status=PartnerStatus.INACTIVE, token=None, created=at(0)), consume_invitation=None
    )
    await store.insert_partner(
        change(partner("BE-PEN", status=PartnerStatus.PENDING, created=at(3)), roles=[]), consume_invitation=None
    )
    await store.add_invitation(invitation("unused", at(5)))
    await store.add_invitation(invitation("spent", at(4)))
    await store.insert_partner(partner("IT-NEW", created=at(6)), consume_invitation=invitation("spent").token_hash)
    # creation order differs from id order and from last_updated order: the copy keeps the list order
    for n, object_id in enumerate(["Z9", "A1", "M5"]):
        await store.write_object(obj(object_id, updated=10 - n, audience="DE/ACT"), expected_version=None)
    await store.write_object(obj("T1", module="tariffs", version=3), expected_version=None)
    await store.enqueue([delivery("d1", stream="s1", created=1), delivery("d2", stream="s1", created=2)])
    await store.enqueue([delivery("d3", stream="s3", receiver="NL-SUS", created=3)])
    [failed] = await store.claim_deliveries("w", at(100), at(130), 1)
    failed.state, failed.attempts, failed.last_error = DeliveryState.FAILED, 4, "refused: HTTP 200, status_code 2001"
    await store.reschedule(failed, "w")
    await store.claim_deliveries("w", at(100), at(130), 10)  # leased at the copy: the lease is not copied
    await store.add_callback(callback("c1", created=1))
    await store.add_callback(callback("c2", kind="RESERVE_NOW", subject="R1", created=2))
    await store.record_result("c2", "ACCEPTED", finish=False)


async def _everything(store: Store) -> dict[str, object]:
    partners = (await store.list_partners(statuses=tuple(PartnerStatus))).items
    return {
        "partners": partners,
        "owners": {k: await store.party_owner(k) for k in ("DE/ACT", "DE/TWO", "NL/SUS", "FR/OLD", "IT/NEW")},
        "tokens": [await store.lookup_token(p.token_hash) for p in partners if p.token_hash],
        "invitations": await store.list_invitations(),
        "modules": await store.object_modules(),
        "locations": await store.list_objects(ObjectQuery(module="locations")),
        "tariffs": await store.list_objects(ObjectQuery(module="tariffs")),
        "readable": await store.list_objects(ObjectQuery(module="locations", readers=("DE/ACT",), offset=1, limit=1)),
        "pending": await store.list_deliveries(receiver=None, state=DeliveryState.PENDING, limit=99),
        "failed": await store.list_deliveries(receiver=None, state=DeliveryState.FAILED, limit=99),
        "callbacks": await store.list_callbacks(),
    }


@pytest.mark.parametrize("direction", ["sqlite-to-postgresql", "postgresql-to-sqlite"])
def test_every_record_arrives_whole(direction: str, tmp_path: Path, postgres_url: str) -> None:
    def sqlite() -> SqliteStore:
        return SqliteStore(str(tmp_path / "hub.db"))

    source, target = (sqlite(), PostgresStore(postgres_url))
    if direction == "postgresql-to-sqlite":
        source, target = target, source

    async def body() -> None:
        await source.open()
        await target.open()
        try:
            await _fill(source)
            before = await _everything(source)
            report = await copy_store(source, target, batch=2)  # small batches: the paging is exercised too
            assert (report.partners, report.invitations, report.deliveries, report.callbacks) == (5, 1, 3, 2)
            assert report.objects == {"locations": 3, "tariffs": 1}
            after = await _everything(target)
            for kind, records in before.items():
                assert after[kind] == records, kind
            assert [o.object_id for o in after["locations"].items] == ["Z9", "A1", "M5"]  # type: ignore[attr-defined]
            assert await target.lookup_token(invitation("spent").token_hash) is None
            assert await target.lookup_token(token_hash("nobody")) is None
            # the copied outbox works: stream order kept, no lease carried over, the failed one stays failed
            claimed = await target.claim_deliveries("new", at(100), at(130), 10)
            assert sorted(d.delivery_id for d in claimed) == ["d2", "d3"]
            copied = await target.get_callback("c2")
            assert copied is not None and (copied.state, copied.last_result) == (CallbackState.PENDING, "ACCEPTED")
            assert await source.list_callbacks() == await target.list_callbacks()  # the source is unchanged
            with pytest.raises(TargetNotEmpty):
                await copy_store(source, target)
        finally:
            await source.close()
            await target.close()

    asyncio.run(body())
