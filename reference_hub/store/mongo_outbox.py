"""The MongoDB side of the Outbox (mixed into :class:`~reference_hub.store.mongo.MongoStore`).

Collection ``deliveries``, ``_id`` = the delivery id, plus ``seq`` (time-ordered: creation time and a per-process
counter) for order. A lease is taken per delivery with one conditional ``update_one`` (free or expired lease in the
filter), so two processes never hold the same delivery. An object write and its deliveries share one transaction
where the server has them; without (a standalone server) deliveries are written right after the object, so a process
killed between the two loses that fan-out (the hub warns at start-up; see mongo.py).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from typing import Any, TypeVar

from pymongo import ASCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from reference_hub.ocpi.datetime import DateTime, sortable
from reference_hub.store.outbox import (
    ANNOUNCEMENTS,
    CLAIM_WALK,
    Delivery,
    DeliveryQuery,
    DeliveryState,
    Moments,
    OutboxStats,
    WalkingClaims,
)
from reference_hub.store.page import Page

Doc = dict[str, Any]
T = TypeVar("T")
_COUNTER = itertools.count()


def _receiver_of(doc: Doc) -> str:
    return str(doc["receiver"])


def _ts(value: DateTime) -> str:
    return sortable(value, zulu=True)


def delivery_document(d: Delivery) -> Doc:
    return {
        "_id": d.delivery_id,
        "seq": f"{_ts(d.created)}-{next(_COUNTER):012d}",
        "receiver": d.receiver,
        "stream": d.stream,
        "method": d.method,
        "url": d.url,
        "headers": [list(h) for h in d.headers],
        "body": None if d.body is None else d.body.decode(),
        "created": _ts(d.created),
        "due": _ts(d.due),
        "attempts": d.attempts,
        "state": d.state.value,
        "last_error": d.last_error,
        "lease_owner": None,
        "lease_until": None,
    }


def _delivery(doc: Doc, moments: Moments | None = None) -> Delivery:
    """The delivery of a document; ``moments``: those of the documents read with it (see Moments)."""
    if moments is None:
        moments = Moments()
    return Delivery(
        delivery_id=doc["_id"],
        receiver=doc["receiver"],
        stream=doc["stream"],
        method=doc["method"],
        url=doc["url"],
        headers=[(h[0], h[1]) for h in doc["headers"]],
        body=None if doc["body"] is None else doc["body"].encode(),
        created=moments[doc["created"]],
        due=moments[doc["due"]],
        attempts=doc["attempts"],
        state=DeliveryState(doc["state"]),
        last_error=doc.get("last_error"),
        parked=bool(doc.get("parked")),
    )


class MongoOutbox(WalkingClaims):
    """Outbox methods; the host class provides ``db``."""

    @property
    def db(self) -> AsyncDatabase[Doc]:
        raise NotImplementedError

    @property
    def deliveries(self) -> AsyncCollection[Doc]:
        return self.db["deliveries"]

    async def _atomic(self, work: Callable[[AsyncClientSession | None], Awaitable[T]]) -> T:
        raise NotImplementedError

    @staticmethod
    async def _open_outbox(db: AsyncDatabase[Doc]) -> None:
        await db["deliveries"].create_index([("state", ASCENDING), ("due", ASCENDING)], name="due")
        # Claims take PENDING deliveries in seq order: this index lets the planner walk them in that order and stop at
        # the limit instead of sorting the whole due backlog (see CLAIM_DUE in sqlite_outbox.py).
        await db["deliveries"].create_index([("state", ASCENDING), ("seq", ASCENDING)], name="pending")
        await db["deliveries"].create_index(
            [("stream", ASCENDING), ("state", ASCENDING), ("seq", ASCENDING)], name="stream"
        )
        await db["deliveries"].create_index(
            [("receiver", ASCENDING), ("state", ASCENDING), ("seq", ASCENDING)], name="receiver_pending"
        )
        await db["deliveries"].create_index(
            [("receiver", ASCENDING)], name="parked", partialFilterExpression={"parked": True}
        )

    async def enqueue(self, deliveries: list[Delivery]) -> None:
        if not deliveries:
            return

        async def insert(session: AsyncClientSession | None) -> None:
            await self.deliveries.insert_many([delivery_document(d) for d in deliveries], session=session)

        await self._atomic(insert)

    async def enqueue_folded(self, delivery: Delivery, fold: Callable[[bytes, bytes], bytes]) -> DateTime:
        # The update is conditional on the row as read (never tried, not leased, the same body), so a claim or
        # another fold in between makes it miss, and the delivery is then stored as a row of its own.
        newest = await self.deliveries.find_one({"stream": delivery.stream, "state": "PENDING"}, sort=[("seq", -1)])
        if newest is not None and newest["attempts"] == 0 and newest["lease_owner"] is None:
            old = newest["body"] or ""
            folded = fold(old.encode(), delivery.body or b"").decode()
            due = min(newest["due"], _ts(delivery.due))
            as_read = {"_id": newest["_id"], "state": "PENDING", "attempts": 0, "lease_owner": None}
            done = await self.deliveries.update_one(
                {**as_read, "body": newest["body"], "due": newest["due"]}, {"$set": {"body": folded, "due": due}}
            )
            if done.matched_count == 1:  # (modified_count is 0 when the fold changed nothing)
                return DateTime.parse(due)
        await self.enqueue([delivery])
        return delivery.due

    async def claim_deliveries(
        self,
        owner: str,
        now: DateTime,
        lease_until: DateTime,
        limit: int,
        *,
        room: Mapping[str, int] | None = None,
        per_receiver: int | None = None,
    ) -> list[Delivery]:
        stamp = _ts(now)
        room = dict(room or {})
        full = [receiver for receiver, left in room.items() if left <= 0]
        free = {"$or": [{"lease_until": None}, {"lease_until": {"$lt": stamp}}]}
        query: Doc = {"state": "PENDING", "due": {"$lte": stamp}, "parked": {"$ne": True}, **free}
        walk = {**query, "receiver": {"$ne": ANNOUNCEMENTS}}
        query["receiver"] = {"$nin": [ANNOUNCEMENTS, *full]}
        if per_receiver is None:
            docs = await self.deliveries.find(query).sort("seq", ASCENDING).limit(limit * 8).to_list(None)
        else:
            # One walk in seq order first (no receiver left out, so a full receiver's backlog ends it at its limit),
            # then, when a receiver without room holds the walk's rows (one back from an outage), receiver by
            # receiver (each one's first few): see store/outbox.within_room.
            walked = None
            if self.claim_walk.worth_trying():
                docs = await self.deliveries.find(walk).sort("seq", ASCENDING).limit(limit * CLAIM_WALK).to_list(None)
                walked = self.claim_walk.take(docs, _receiver_of, limit, room, per_receiver)
            if walked is None:
                most = min(limit, max([per_receiver, *room.values()]))
                docs = []
                for receiver in await self.deliveries.distinct("receiver", {"state": "PENDING"}):
                    if receiver != ANNOUNCEMENTS and room.get(receiver, per_receiver) > 0:
                        found = self.deliveries.find({**query, "receiver": receiver}).sort("seq", ASCENDING)
                        docs += await found.limit(most).to_list(None)
                docs.sort(key=lambda doc: doc["seq"])
        return await self._lease(docs, owner, lease_until, limit, room, per_receiver, free)

    async def claim_announcements(self, owner: str, now: DateTime, lease_until: DateTime, limit: int) -> list[Delivery]:
        stamp = _ts(now)
        free = {"$or": [{"lease_until": None}, {"lease_until": {"$lt": stamp}}]}
        query = {"receiver": ANNOUNCEMENTS, "state": "PENDING", "due": {"$lte": stamp}, **free}
        docs = await self.deliveries.find(query).sort("seq", ASCENDING).limit(limit).to_list(None)
        return await self._lease(docs, owner, lease_until, limit, {}, None, free)

    async def park_deliveries(self, receivers: Collection[str]) -> None:
        # A partial index cannot say "not parked" (documents written before the field have none), so the claims
        # filter parked documents in their walk, document by document; parking still spares them the asks receiver by
        # receiver that a walk stopped by such documents used to cost.
        if not receivers:
            return
        upto = self._parked_upto
        newest_doc = await self.deliveries.find_one({}, {"seq": 1}, sort=[("seq", -1)])
        newest = "" if newest_doc is None else str(newest_doc["seq"])
        for receiver in receivers:
            await self.deliveries.update_many(
                {"receiver": receiver, "state": "PENDING", "seq": {"$gt": upto.get(receiver, "")}},
                {"$set": {"parked": True}},
            )
        upto.update(dict.fromkeys(receivers, newest))

    async def unpark_deliveries(self, receivers: Collection[str] | None, *, keep: Collection[str] = ()) -> None:
        if receivers is None:
            kept = set(keep)
            with_parked = await self.deliveries.distinct("receiver", {"parked": True})
            named: Collection[str] = [r for r in with_parked if r not in kept]
        else:
            named = receivers
        if named:
            await self.deliveries.update_many(
                {"parked": True, "receiver": {"$in": sorted(named)}}, {"$set": {"parked": False}}
            )
        self._forget_parked(receivers, keep)

    async def _lease(
        self,
        docs: list[Doc],
        owner: str,
        lease_until: DateTime,
        limit: int,
        room: dict[str, int],
        per_receiver: int | None,
        free: Doc,
    ) -> list[Delivery]:
        """Lease ``docs`` (candidates, oldest first) up to ``limit``, each the oldest pending of its stream and within
        its receiver's room, one conditional update each."""
        claimed: list[Delivery] = []
        streams: set[str] = set()
        moments = Moments()
        for doc in docs:
            if len(claimed) >= limit or doc["stream"] in streams:
                continue
            left = room.get(doc["receiver"], per_receiver)
            if left is not None and left <= 0:
                continue
            earlier = await self.deliveries.find_one(
                {"stream": doc["stream"], "state": "PENDING", "seq": {"$lt": doc["seq"]}}, {"_id": 1}
            )
            if earlier is not None:
                continue
            taken = await self.deliveries.update_one(
                {"_id": doc["_id"], "state": "PENDING", **free},
                {"$set": {"lease_owner": owner, "lease_until": _ts(lease_until)}},
            )
            if taken.modified_count == 1:
                streams.add(doc["stream"])
                claimed.append(_delivery(doc, moments))
                if left is not None:
                    room[doc["receiver"]] = left - 1
        return claimed

    async def delivered(self, delivery_id: str, owner: str) -> None:
        await self.deliveries.delete_one({"_id": delivery_id, "lease_owner": owner})

    async def delivered_many(self, delivery_ids: Sequence[str], owner: str) -> None:
        if delivery_ids:
            await self.deliveries.delete_many({"_id": {"$in": list(delivery_ids)}, "lease_owner": owner})

    async def replace_delivery(
        self, delivery_id: str, owner: str, deliveries: list[Delivery], *, rest: bytes | None = None
    ) -> bool:
        async def swap(session: AsyncClientSession | None) -> bool:
            # Without transactions (a standalone server) the new deliveries are written first: a crash between the
            # two writes repeats an announcement rather than losing it.
            held = await self.deliveries.find_one(
                {"_id": delivery_id, "lease_owner": owner}, {"_id": 1}, session=session
            )
            if held is None:
                return False
            if deliveries:
                # Without a transaction a crash after this leaves the announcement, whose expansion writes these again.
                await self.deliveries.delete_many(
                    {
                        "stream": {"$in": sorted({d.stream for d in deliveries})},
                        "state": "PENDING",
                        "attempts": 0,
                        "lease_owner": None,
                    },
                    session=session,
                )
                await self.deliveries.insert_many([delivery_document(d) for d in deliveries], session=session)
            if rest is None:
                await self.deliveries.delete_one({"_id": delivery_id, "lease_owner": owner}, session=session)
            else:
                await self.deliveries.update_one(
                    {"_id": delivery_id, "lease_owner": owner},
                    {
                        "$set": {"body": rest.decode(), "lease_owner": None, "lease_until": None},
                        "$inc": {"attempts": 1},
                    },
                    session=session,
                )
            return True

        return await self._atomic(swap)

    async def reschedule(self, delivery: Delivery, owner: str) -> None:
        await self.deliveries.update_one(
            {"_id": delivery.delivery_id, "lease_owner": owner},
            {
                "$set": {
                    "attempts": delivery.attempts,
                    "due": _ts(delivery.due),
                    "state": delivery.state.value,
                    "last_error": delivery.last_error,
                    "lease_owner": None,
                    "lease_until": None,
                }
            },
        )

    async def outbox_stats(self) -> list[OutboxStats]:
        stats: dict[str, OutboxStats] = {}
        async for doc in self.deliveries.find({}).sort("seq", ASCENDING):
            entry = stats.setdefault(doc["receiver"], OutboxStats(receiver=doc["receiver"], pending=0, failed=0))
            if doc["state"] == "PENDING":
                entry.pending += 1
                if doc.get("parked"):
                    entry.parked += 1
                if entry.oldest_pending is None:
                    entry.oldest_pending = DateTime.parse(doc["created"])
            else:
                entry.failed += 1
            if doc.get("last_error"):
                entry.last_error = doc["last_error"]
        return [stats[k] for k in sorted(stats)]

    async def list_deliveries(self, *, receiver: str | None, state: DeliveryState, limit: int) -> list[Delivery]:
        found: Doc = {"state": state.value}
        if receiver is not None:
            found["receiver"] = receiver
        cursor = self.deliveries.find(found).sort("seq", ASCENDING).limit(limit)
        return [_delivery(doc) async for doc in cursor]

    async def find_deliveries(self, query: DeliveryQuery) -> Page[Delivery]:
        found: Doc = {}
        if query.receiver is not None:
            found["receiver"] = query.receiver
        if query.state is not None:
            found["state"] = query.state.value
        streams = []
        if query.module is not None:
            streams.append({"stream": {"$regex": f"^[^|]*\\|{re.escape(query.module)}\\|"}})
        if query.stream is not None:
            streams.append({"stream": {"$regex": f"\\|{re.escape(query.stream)}$"}})
        if streams:
            found["$and"] = streams
        if query.correlation_id is not None:
            found["headers"] = ["X-Correlation-ID", query.correlation_id]
        created: Doc = {}
        if query.created_from is not None:
            created["$gte"] = _ts(query.created_from)
        if query.created_to is not None:
            created["$lt"] = _ts(query.created_to)
        if created:
            found["created"] = created
        total = await self.deliveries.count_documents(found)
        if query.limit == 0 or query.offset >= total:
            return Page(total=total, items=[])
        cursor = self.deliveries.find(found).sort("seq", ASCENDING).skip(query.offset).limit(query.limit)
        return Page(total=total, items=[_delivery(doc) async for doc in cursor])

    async def retry_deliveries(self, receiver: str, due: DateTime) -> int:
        result = await self.deliveries.update_many(
            {"receiver": receiver, "state": "FAILED"},
            {"$set": {"state": "PENDING", "due": _ts(due), "lease_owner": None, "lease_until": None}},
        )
        return result.modified_count

    async def drop_deliveries(self, receiver: str, state: DeliveryState) -> int:
        return (await self.deliveries.delete_many({"receiver": receiver, "state": state.value})).deleted_count

    async def drop_delivery(self, delivery_id: str) -> bool:
        return (await self.deliveries.delete_one({"_id": delivery_id})).deleted_count == 1

    async def retry_delivery(self, delivery_id: str, due: DateTime) -> bool:
        result = await self.deliveries.update_one(
            {"_id": delivery_id, "state": "FAILED"},
            {"$set": {"state": "PENDING", "due": _ts(due), "lease_owner": None, "lease_until": None}},
        )
        return result.modified_count == 1


__all__ = ("MongoOutbox", "delivery_document")
