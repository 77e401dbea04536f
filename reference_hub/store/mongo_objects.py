"""The MongoDB side of the ObjectStore (mixed into :class:`~reference_hub.store.mongo.MongoStore`).

Collection ``objects``: one document per object, ``_id`` = module, owner and object id joined by a separator that
cannot occur in an OCPI id (CiStrings are printable ASCII), so the key is unique without a second index. Times are
fixed-width UTC text, as for partners. Writes are conditional on ``version`` (one ``replace_one`` with the version in
the filter); an object and its outbox entries share one transaction where the server has them (see mongo.py).

Pages: ``objects_page`` indexes (module, created, _id, last_updated, owner, audience). The count and the skip over
``offset`` entries read that index only (the first query projects indexed fields, so the server covers it from the
index); the bodies are then fetched for the page's ``_id`` values alone.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from pymongo import ASCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from reference_hub.ocpi.datetime import DateTime, sortable
from reference_hub.store.base import Conflict
from reference_hub.store.mongo_outbox import delivery_document
from reference_hub.store.objects import ObjectQuery, StoredObject
from reference_hub.store.outbox import Delivery
from reference_hub.store.page import Page

Doc = dict[str, Any]
T = TypeVar("T")
_SEP = "\x1f"
_ORDER = [("created", ASCENDING), ("_id", ASCENDING)]


def _ts(value: DateTime) -> str:
    return sortable(value, zulu=True)


def _key(module: str, owner: str, object_id: str) -> str:
    return _SEP.join((module, owner, object_id))


def _document(obj: StoredObject) -> Doc:
    return {
        "_id": _key(obj.module, obj.owner, obj.object_id),
        "module": obj.module,
        "owner": obj.owner,
        "object_id": obj.object_id,
        "partner_id": obj.partner_id,
        "audience": obj.audience,
        "last_updated": _ts(obj.last_updated),
        "created": _ts(obj.created),
        "version": obj.version,
        "body": obj.body.decode(),
    }


def _record(doc: Doc) -> StoredObject:
    return StoredObject(
        module=doc["module"],
        owner=doc["owner"],
        object_id=doc["object_id"],
        partner_id=doc["partner_id"],
        audience=doc.get("audience"),
        last_updated=DateTime.parse(doc["last_updated"]),
        created=DateTime.parse(doc["created"]),
        version=doc["version"],
        body=doc["body"].encode(),
    )


def _filter(query: ObjectQuery) -> Doc:
    found: Doc = {"module": query.module}
    updated: Doc = {}
    if query.date_from is not None:
        updated["$gte"] = _ts(query.date_from)
    if query.date_to is not None:
        updated["$lt"] = _ts(query.date_to)
    if updated:
        found["last_updated"] = updated
    if query.owners is not None:
        found["owner"] = {"$in": list(query.owners)}
    if query.readers is not None:
        readers = list(query.readers)
        found["$or"] = [{"owner": {"$in": readers}}, {"audience": {"$in": readers}}]
    return found


class MongoObjects:
    """ObjectStore methods; the host class provides ``db``."""

    @property
    def db(self) -> AsyncDatabase[Doc]:
        raise NotImplementedError

    @property
    def objects(self) -> AsyncCollection[Doc]:
        return self.db["objects"]

    async def _atomic(self, work: Callable[[AsyncClientSession | None], Awaitable[T]]) -> T:
        raise NotImplementedError

    @staticmethod
    async def _open_objects(db: AsyncDatabase[Doc]) -> None:
        await db["objects"].create_index(
            [
                ("module", ASCENDING),
                *_ORDER,
                ("last_updated", ASCENDING),
                ("owner", ASCENDING),
                ("audience", ASCENDING),
            ],
            name="objects_page",
        )
        await db["objects"].create_index([("module", ASCENDING), ("object_id", ASCENDING)], name="object_id")

    async def get_object(self, module: str, owner: str, object_id: str) -> StoredObject | None:
        doc = await self.objects.find_one({"_id": _key(module, owner, object_id)})
        return None if doc is None else _record(doc)

    async def find_objects(self, module: str, object_id: str, *, limit: int = 2) -> list[StoredObject]:
        cursor = self.objects.find({"module": module, "object_id": object_id}).sort(_ORDER).limit(limit)
        return [_record(doc) async for doc in cursor]

    async def find_owners(self, module: str, object_id: str, *, limit: int = 2) -> list[str]:
        query = {"module": module, "object_id": object_id}
        cursor = self.objects.find(query, {"owner": 1, "_id": 0}).sort(_ORDER).limit(limit)  # no body sent back
        return [doc["owner"] async for doc in cursor]

    async def write_object(
        self, obj: StoredObject, *, expected_version: int | None, deliveries: Sequence[Delivery] = ()
    ) -> None:
        doc = _document(obj)

        async def write(session: AsyncClientSession | None) -> None:
            if expected_version is None:
                try:
                    await self.objects.insert_one(doc, session=session)
                except DuplicateKeyError as exc:
                    raise Conflict(f"{obj.module} {obj.owner} {obj.object_id} exists already") from exc
            else:
                result = await self.objects.replace_one(
                    {"_id": doc["_id"], "version": expected_version}, doc, session=session
                )
                if result.matched_count != 1:
                    raise Conflict(f"{obj.module} {obj.owner} {obj.object_id} changed concurrently")
            if deliveries:
                await self.db["deliveries"].insert_many([delivery_document(d) for d in deliveries], session=session)

        await self._atomic(write)

    async def insert_objects(self, objs: list[StoredObject]) -> None:
        """Unordered bulk insert; in a transaction where the server has them (all or nothing), else a duplicate key
        leaves the others written (stated)."""
        if not objs:
            return

        async def insert(session: AsyncClientSession | None) -> None:
            await self.objects.insert_many([_document(o) for o in objs], ordered=False, session=session)

        try:
            await self._atomic(insert)
        except BulkWriteError as exc:
            raise Conflict("one of the objects exists already") from exc

    async def delete_object(
        self, module: str, owner: str, object_id: str, *, deliveries: Sequence[Delivery] = ()
    ) -> bool:
        async def delete(session: AsyncClientSession | None) -> bool:
            result = await self.objects.delete_one({"_id": _key(module, owner, object_id)}, session=session)
            if result.deleted_count == 1 and deliveries:
                await self.db["deliveries"].insert_many([delivery_document(d) for d in deliveries], session=session)
            return result.deleted_count == 1

        return await self._atomic(delete)

    async def object_modules(self) -> list[str]:
        return sorted(await self.objects.distinct("module"))

    async def object_counts(self) -> list[tuple[str, str, int]]:
        cursor = await self.objects.aggregate(
            [{"$group": {"_id": {"module": "$module", "owner": "$owner"}, "n": {"$sum": 1}}}]
        )
        counts = [(doc["_id"]["module"], doc["_id"]["owner"], doc["n"]) async for doc in cursor]
        return sorted(counts)

    async def search_objects(self, key: str, *, limit: int = 20) -> list[StoredObject]:
        found: list[StoredObject] = []
        for module in await self.object_modules():
            query = {
                "module": module,
                "$or": [{"object_id": key}, {"object_id": {"$gte": key + "\t", "$lt": key + "\n"}}],
            }
            found += [_record(doc) async for doc in self.objects.find(query).sort(_ORDER).limit(limit)]
        return sorted(found, key=lambda o: o.created)[:limit]

    async def list_objects(self, query: ObjectQuery) -> Page[StoredObject]:
        found = _filter(query)
        total = await self.objects.count_documents(found)
        if query.limit == 0 or query.offset >= total:
            return Page(total=total, items=[])  # MongoDB reads limit(0) as "no limit"
        keys = self.objects.find(found, {"_id": 1}).sort(_ORDER).skip(query.offset)
        if query.limit is not None:
            keys = keys.limit(query.limit)
        ids = [doc["_id"] async for doc in keys]
        by_id = {doc["_id"]: doc async for doc in self.objects.find({"_id": {"$in": ids}})}
        return Page(total=total, items=[_record(by_id[i]) for i in ids if i in by_id])


__all__ = ("MongoObjects",)
