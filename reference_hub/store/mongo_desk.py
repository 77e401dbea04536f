"""The MongoDB side of the operators' desk (mixed into :class:`~reference_hub.store.mongo.MongoStore`): collections
``operators`` (``_id`` = name), ``audit`` (``seq`` orders it), ``exchanges`` (``_id`` = request id) and ``degraded``
(``_id`` = partner id). Times are fixed-width UTC text, as everywhere in this adapter."""

from __future__ import annotations

import itertools
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from reference_hub.ocpi.datetime import DateTime, sortable
from reference_hub.store.base import Conflict
from reference_hub.store.desk import (
    AuditEntry,
    HealthMark,
    KeptExchange,
    Operator,
    OperatorRole,
    decode_exchange,
    encode_exchange,
)
from reference_hub.store.page import Page

Doc = dict[str, Any]
_COUNTER = itertools.count()


def _ts(value: DateTime) -> str:
    return sortable(value, zulu=True)


def _operator(doc: Doc) -> Operator:
    return Operator(
        name=doc["_id"],
        role=OperatorRole(doc["role"]),
        password_hash=doc["password_hash"],
        created=DateTime.parse(doc["created"]),
    )


def _mark(doc: Doc) -> HealthMark:
    return HealthMark(
        partner_id=doc["_id"], since=DateTime.parse(doc["since"]), error=doc["error"], at=DateTime.parse(doc["at"])
    )


class MongoDesk:
    """Desk methods; the host class provides ``db``."""

    @property
    def db(self) -> AsyncDatabase[Doc]:
        raise NotImplementedError

    @staticmethod
    async def _open_desk(db: AsyncDatabase[Doc]) -> None:
        await db["audit"].create_index([("seq", ASCENDING)], name="seq")
        await db["audit"].create_index([("subject", ASCENDING), ("seq", ASCENDING)], name="subject")
        await db["exchanges"].create_index([("object_ref", ASCENDING), ("at", ASCENDING)], name="object")
        await db["exchanges"].create_index([("expires", ASCENDING)], name="expires")

    async def add_operator(self, operator: Operator) -> None:
        try:
            await self.db["operators"].insert_one(
                {
                    "_id": operator.name,
                    "role": operator.role.value,
                    "password_hash": operator.password_hash,
                    "created": _ts(operator.created),
                }
            )
        except DuplicateKeyError as exc:
            raise Conflict(f"there is an operator {operator.name!r} already") from exc

    async def get_operator(self, name: str) -> Operator | None:
        doc = await self.db["operators"].find_one({"_id": name})
        return None if doc is None else _operator(doc)

    async def list_operators(self) -> list[Operator]:
        return [_operator(doc) async for doc in self.db["operators"].find({}).sort("_id", ASCENDING)]

    async def remove_operator(self, name: str) -> bool:
        return (await self.db["operators"].delete_one({"_id": name})).deleted_count == 1

    async def add_audit(self, entry: AuditEntry) -> None:
        await self.db["audit"].insert_one(
            {
                "seq": f"{_ts(entry.at)}-{next(_COUNTER):012d}",
                "at": _ts(entry.at),
                "operator": entry.operator,
                "action": entry.action,
                "subject": entry.subject,
                "detail": entry.detail,
            }
        )

    async def list_audit(self, *, offset: int = 0, limit: int = 50, subject: str | None = None) -> Page[AuditEntry]:
        query: Doc = {} if subject is None else {"subject": subject}
        audit = self.db["audit"]
        total = await audit.count_documents(query)
        if limit == 0 or offset >= total:
            return Page(total=total, items=[])
        cursor = audit.find(query).sort("seq", DESCENDING).skip(offset).limit(limit)
        entries = [
            AuditEntry(
                at=DateTime.parse(d["at"]),
                operator=d["operator"],
                action=d["action"],
                subject=d["subject"],
                detail=d["detail"],
            )
            async for d in cursor
        ]
        return Page(total=total, items=entries)

    async def keep_exchange(self, exchange: KeptExchange) -> None:
        await self.db["exchanges"].replace_one(
            {"_id": exchange.request_id},
            {
                "_id": exchange.request_id,
                "at": _ts(exchange.at),
                "object_ref": exchange.object_ref,
                "expires": _ts(exchange.expires),
                "doc": encode_exchange(exchange).decode(),
            },
            upsert=True,
        )

    async def get_exchange(self, request_id: str) -> KeptExchange | None:
        doc = await self.db["exchanges"].find_one({"_id": request_id})
        return None if doc is None else decode_exchange(doc["doc"].encode())

    async def object_exchanges(self, object_ref: str, *, limit: int = 50) -> list[KeptExchange]:
        cursor = (
            self.db["exchanges"]
            .find({"object_ref": object_ref})
            .sort([("at", DESCENDING), ("_id", ASCENDING)])
            .limit(limit)
        )
        return [decode_exchange(doc["doc"].encode()) async for doc in cursor]

    async def prune_exchanges(self, now: DateTime) -> int:
        return (await self.db["exchanges"].delete_many({"expires": {"$lt": _ts(now)}})).deleted_count

    async def mark_degraded(self, mark: HealthMark) -> None:
        await self.db["degraded"].update_one(
            {"_id": mark.partner_id},
            {"$set": {"error": mark.error, "at": _ts(mark.at)}, "$setOnInsert": {"since": _ts(mark.since)}},
            upsert=True,
        )

    async def clear_degraded(self, partner_id: str) -> bool:
        return (await self.db["degraded"].delete_one({"_id": partner_id})).deleted_count == 1

    async def degraded(self) -> dict[str, HealthMark]:
        return {doc["_id"]: _mark(doc) async for doc in self.db["degraded"].find({})}


__all__ = ("MongoDesk",)
