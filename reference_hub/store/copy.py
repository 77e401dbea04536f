"""Copy everything a hub keeps from one store to another (``ocpi-hub copy-store``), e.g. SQLite to PostgreSQL when
one machine is no longer enough.

Only the Store protocols are used, so any adapter can be the source or the target. The target must be empty (no
partner, invitation, object, delivery or pending callback): a copy is a move to a new store, never a merge. The hub
must not be running on the source meanwhile, or what it writes during the copy may be missed.

What is copied, each record whole: every partner record whatever its status (token hashes, sealed outgoing tokens,
endpoints, roles), unused invitations (a used one opens nothing), every object in its creation order (so pages and
their order are the same), every delivery still owed or failed (leases are dropped: the new store's workers take
them), and every pending callback. Times when processes last heard partners and leases are not: they describe
running processes. The outgoing tokens stay sealed with the source's key: the hub on the target needs the same
``secret_key``.
"""

from __future__ import annotations

import msgspec

from reference_hub.store.base import PartnerStatus, Store
from reference_hub.store.objects import ObjectQuery
from reference_hub.store.outbox import DeliveryState

BATCH = 5000
_EVERYTHING = 1 << 62


class TargetNotEmpty(Exception):
    """The target store already holds data."""


class CopyReport(msgspec.Struct, kw_only=True):
    """How many records of each kind were copied."""

    partners: int = 0
    invitations: int = 0
    objects: dict[str, int] = {}
    deliveries: int = 0
    callbacks: int = 0

    def lines(self) -> list[str]:
        objects = ", ".join(f"{count} {module}" for module, count in self.objects.items()) or "none"
        return [
            f"partners: {self.partners}",
            f"unused invitations: {self.invitations}",
            f"objects: {objects}",
            f"deliveries owed or failed: {self.deliveries}",
            f"pending callbacks: {self.callbacks}",
        ]


async def _is_empty(store: Store) -> bool:
    if (await store.list_partners(statuses=tuple(PartnerStatus), limit=0)).total:
        return False
    if await store.list_invitations(limit=1) or await store.object_modules() or await store.list_callbacks(limit=1):
        return False
    return not await store.outbox_stats()


async def copy_store(source: Store, target: Store, *, batch: int = BATCH) -> CopyReport:
    """Copy every record of ``source`` into the empty ``target`` (both open)."""
    if not await _is_empty(target):
        raise TargetNotEmpty("the target store is not empty: copy into a new, empty database")
    report = CopyReport()

    offset = 0
    while page := (await source.list_partners(statuses=tuple(PartnerStatus), offset=offset, limit=batch)).items:
        for partner in page:
            await target.insert_partner(partner, consume_invitation=None)
        offset += len(page)
    report.partners = offset

    for invitation in await source.list_invitations(limit=_EVERYTHING):
        await target.add_invitation(invitation)
        report.invitations += 1

    for module in await source.object_modules():
        offset = 0
        while objects := (await source.list_objects(ObjectQuery(module=module, offset=offset, limit=batch))).items:
            await target.insert_objects(objects)
            offset += len(objects)
        report.objects[module] = offset

    for state in (DeliveryState.PENDING, DeliveryState.FAILED):
        deliveries = await source.list_deliveries(receiver=None, state=state, limit=_EVERYTHING)
        for start in range(0, len(deliveries), batch):
            await target.enqueue(deliveries[start : start + batch])
        report.deliveries += len(deliveries)

    offset = 0
    while callbacks := await source.list_callbacks(offset=offset, limit=batch):
        for callback in callbacks:
            await target.add_callback(callback)
        offset += len(callbacks)
    report.callbacks = offset
    return report


__all__ = ("CopyReport", "TargetNotEmpty", "copy_store")
