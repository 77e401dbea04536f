"""The PostgreSQL side of the CallbackStore (mixed into :class:`~reference_hub.store.postgres.PostgresStore`).

Table ``callbacks``: the record as JSON plus the columns it is found and guarded by. A change locks the row
(``SELECT … FOR UPDATE``), so two processes taking a result at once are served one after the other and the second
sees the first's result; the delivery of a taken result commits in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import asyncpg
import msgspec

from reference_hub.ocpi.datetime import DateTime, dec_hook, enc_hook
from reference_hub.store.callbacks import CallbackState, PendingCallback, is_setter
from reference_hub.store.outbox import Delivery
from reference_hub.store.postgres_outbox import insert_deliveries, rowcount

_ENCODE = msgspec.json.Encoder(enc_hook=enc_hook).encode
_DECODE = msgspec.json.Decoder(PendingCallback, dec_hook=dec_hook).decode
_FILTERS = ("kind", "receiver", "requester", "last_result")


def _subject(value: str | None) -> str | None:
    return None if value is None else value.upper()


class PostgresCallbacks:
    """CallbackStore methods; the host class provides ``pool``."""

    @property
    def pool(self) -> asyncpg.Pool:
        raise NotImplementedError

    async def add_callback(self, callback: PendingCallback) -> None:
        await self.pool.execute(
            "INSERT INTO callbacks (callback_id, module, subject, state, expires, setter, doc)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7)",
            callback.callback_id,
            callback.module,
            _subject(callback.subject),
            callback.state.value,
            callback.expires,
            is_setter(callback),
            _ENCODE(callback),
        )

    async def get_callback(self, callback_id: str) -> PendingCallback | None:
        doc = await self.pool.fetchval("SELECT doc FROM callbacks WHERE callback_id = $1", callback_id)
        return None if doc is None else _DECODE(doc)

    async def _change(
        self,
        callback_id: str,
        change: Callable[[PendingCallback], PendingCallback | None],
        deliveries: Sequence[Delivery] = (),
    ) -> bool:
        """Lock, change (``change`` returns the new record or None for "no change") and write in one transaction."""
        async with self.pool.acquire() as connection, connection.transaction():
            doc = await connection.fetchval("SELECT doc FROM callbacks WHERE callback_id = $1 FOR UPDATE", callback_id)
            changed = None if doc is None else change(_DECODE(doc))
            if changed is None:
                return False
            await connection.execute(
                "UPDATE callbacks SET state = $1, expires = $2, setter = $3, doc = $4 WHERE callback_id = $5",
                changed.state.value,
                changed.expires,
                is_setter(changed),
                _ENCODE(changed),
                callback_id,
            )
            await insert_deliveries(connection, deliveries)
            return True

    async def set_callback_expiry(self, callback_id: str, expires: DateTime) -> None:
        await self._change(callback_id, lambda c: msgspec.structs.replace(c, expires=expires))

    async def close_callback(self, callback_id: str) -> bool:
        def close(c: PendingCallback) -> PendingCallback | None:
            if c.state is not CallbackState.PENDING:
                return None
            return msgspec.structs.replace(c, state=CallbackState.DONE)

        return await self._change(callback_id, close)

    async def record_result(
        self, callback_id: str, result: str, *, finish: bool, deliveries: Sequence[Delivery] = ()
    ) -> bool:
        def take(c: PendingCallback) -> PendingCallback | None:
            if c.state is not CallbackState.PENDING or c.last_result == result:
                return None
            state = CallbackState.DONE if finish else CallbackState.PENDING
            return msgspec.structs.replace(c, state=state, last_result=result)

        return await self._change(callback_id, take, deliveries)

    async def purge_callbacks(self, *, expired_before: DateTime, setters_before: DateTime) -> int:
        status = await self.pool.execute(
            "DELETE FROM callbacks WHERE (NOT setter AND expires < $1) OR (setter AND expires < $2)",
            expired_before,
            setters_before,
        )
        return rowcount(status)

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
        wanted = dict(zip(_FILTERS, (kind, receiver, requester, last_result), strict=True))
        found: list[PendingCallback] = []
        async with self.pool.acquire() as connection, connection.transaction():
            cursor = connection.cursor(
                "SELECT doc FROM callbacks WHERE module = $1 AND subject = $2 ORDER BY seq DESC",
                module,
                _subject(subject),
            )
            async for (doc,) in cursor:
                callback = _DECODE(doc)
                if all(v is None or getattr(callback, k) == v for k, v in wanted.items()):
                    found.append(callback)
                    if len(found) >= limit:
                        break
        return found

    async def list_callbacks(self, *, offset: int = 0, limit: int = 1000) -> list[PendingCallback]:
        rows = await self.pool.fetch("SELECT doc FROM callbacks ORDER BY seq LIMIT $1 OFFSET $2", limit, offset)
        return [_DECODE(r[0]) for r in rows]


__all__ = ("PostgresCallbacks",)
