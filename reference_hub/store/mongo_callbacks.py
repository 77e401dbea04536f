"""The MongoDB side of the CallbackStore (mixed into :class:`~reference_hub.store.mongo.MongoStore`).

Collection ``callbacks``, ``_id`` = the callback id. Taking a result is one conditional ``find_one_and_update``
(state PENDING, a different last result), so two processes never take the same result twice; the delivery is
written with it in one transaction where the server has them, else right after it (a standalone server: a process
killed between the two writes loses that delivery, see mongo.py).
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import msgspec
from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from reference_hub.ocpi.datetime import DateTime, dec_hook, enc_hook, sortable
from reference_hub.store.callbacks import CallbackState, PendingCallback
from reference_hub.store.mongo_outbox import delivery_document
from reference_hub.store.outbox import Delivery

Doc = dict[str, Any]
T = TypeVar("T")
_COUNTER = itertools.count()


def _ts(value: DateTime) -> str:
    return sortable(value, zulu=True)


def _document(callback: PendingCallback) -> Doc:
    doc: Doc = msgspec.to_builtins(callback, enc_hook=enc_hook)
    doc["_id"] = callback.callback_id
    doc["subject_key"] = None if callback.subject is None else callback.subject.upper()
    doc["seq"] = f"{_ts(callback.created)}-{next(_COUNTER):012d}"
    doc["created"] = _ts(callback.created)
    doc["expires"] = _ts(callback.expires)
    return doc


def _callback(doc: Doc) -> PendingCallback:
    for extra in ("_id", "subject_key", "seq"):
        doc.pop(extra, None)
    return msgspec.convert(doc, PendingCallback, dec_hook=dec_hook)


class MongoCallbacks:
    """CallbackStore methods; the host class provides ``db``."""

    @property
    def db(self) -> AsyncDatabase[Doc]:
        raise NotImplementedError

    @property
    def callbacks(self) -> AsyncCollection[Doc]:
        return self.db["callbacks"]

    async def _atomic(self, work: Callable[[AsyncClientSession | None], Awaitable[T]]) -> T:
        raise NotImplementedError

    @staticmethod
    async def _open_callbacks(db: AsyncDatabase[Doc]) -> None:
        await db["callbacks"].create_index(
            [("module", ASCENDING), ("subject_key", ASCENDING), ("seq", ASCENDING)], name="subject"
        )

    async def add_callback(self, callback: PendingCallback) -> None:
        await self.callbacks.insert_one(_document(callback))

    async def get_callback(self, callback_id: str) -> PendingCallback | None:
        doc = await self.callbacks.find_one({"_id": callback_id})
        return None if doc is None else _callback(doc)

    async def set_callback_expiry(self, callback_id: str, expires: DateTime) -> None:
        await self.callbacks.update_one({"_id": callback_id}, {"$set": {"expires": _ts(expires)}})

    async def close_callback(self, callback_id: str) -> bool:
        result = await self.callbacks.update_one(
            {"_id": callback_id, "state": CallbackState.PENDING.value}, {"$set": {"state": CallbackState.DONE.value}}
        )
        return result.modified_count == 1

    async def record_result(
        self, callback_id: str, result: str, *, finish: bool, deliveries: Sequence[Delivery] = ()
    ) -> bool:
        state = CallbackState.DONE if finish else CallbackState.PENDING

        async def take(session: AsyncClientSession | None) -> bool:
            taken = await self.callbacks.find_one_and_update(
                {"_id": callback_id, "state": CallbackState.PENDING.value, "last_result": {"$ne": result}},
                {"$set": {"state": state.value, "last_result": result}},
                return_document=ReturnDocument.AFTER,
                session=session,
            )
            if taken is None:
                return False
            if deliveries:
                await self.db["deliveries"].insert_many([delivery_document(d) for d in deliveries], session=session)
            return True

        return await self._atomic(take)

    async def purge_callbacks(self, *, expired_before: DateTime, setters_before: DateTime) -> int:
        setter = {"module": "chargingprofiles", "kind": "PUT", "last_result": "ACCEPTED"}
        ordinary = {
            "$or": [
                {"module": {"$ne": "chargingprofiles"}},
                {"kind": {"$ne": "PUT"}},
                {"last_result": {"$ne": "ACCEPTED"}},
            ]
        }
        gone = await self.callbacks.delete_many({**ordinary, "expires": {"$lt": _ts(expired_before)}})
        kept_longer = await self.callbacks.delete_many({**setter, "expires": {"$lt": _ts(setters_before)}})
        return gone.deleted_count + kept_longer.deleted_count

    async def find_callbacks(
        self,
        *,
        module: str,
        subject: str,
        kind: str | None = None,
        receiver: str | None = None,
        requester: str | None = None,
        last_result: str | None = None,
        limit: int = 10,
    ) -> list[PendingCallback]:
        found: Doc = {"module": module, "subject_key": subject.upper()}
        for name, value in (("kind", kind), ("receiver", receiver), ("requester", requester)):
            if value is not None:
                found[name] = value
        if last_result is not None:
            found["last_result"] = last_result
        cursor = self.callbacks.find(found).sort("seq", DESCENDING).limit(limit)
        return [_callback(doc) async for doc in cursor]

    async def list_callbacks(self, *, offset: int = 0, limit: int = 1000) -> list[PendingCallback]:
        if limit == 0:
            return []
        cursor = self.callbacks.find({}).sort([("seq", ASCENDING), ("_id", ASCENDING)]).skip(offset).limit(limit)
        return [_callback(doc) async for doc in cursor]


__all__ = ("MongoCallbacks",)
