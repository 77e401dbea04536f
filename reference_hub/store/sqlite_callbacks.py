"""The SQLite side of the CallbackStore (mixed into :class:`~reference_hub.store.sqlite.SqliteStore`).

Table ``callbacks``: the record as JSON plus the columns it is found and guarded by. Taking a result is one
transaction (``sqlite_tx.immediate``): the conditional update of the record and the insert of its delivery commit
together.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import msgspec

from reference_hub.ocpi.datetime import DateTime, dec_hook, enc_hook, sortable
from reference_hub.store.callbacks import CallbackState, PendingCallback, is_setter
from reference_hub.store.outbox import Delivery
from reference_hub.store.sqlite_outbox import INSERT_DELIVERY, delivery_rows
from reference_hub.store.sqlite_tx import immediate

CALLBACKS_SCHEMA = """
CREATE TABLE IF NOT EXISTS callbacks (
    seq         INTEGER PRIMARY KEY,
    callback_id TEXT NOT NULL UNIQUE,
    module      TEXT NOT NULL,
    subject     TEXT,
    state       TEXT NOT NULL,
    expires     TEXT NOT NULL,
    setter      INTEGER NOT NULL DEFAULT 0,
    doc         BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS callbacks_subject ON callbacks (module, subject, seq);
CREATE INDEX IF NOT EXISTS callbacks_expires ON callbacks (setter, expires);
"""

_ENCODE = msgspec.json.Encoder(enc_hook=enc_hook).encode
_DECODE = msgspec.json.Decoder(PendingCallback, dec_hook=dec_hook).decode
_FILTERS = ("kind", "receiver", "requester", "last_result")


def _ts(value: DateTime) -> str:
    return sortable(value)


def _subject(value: str | None) -> str | None:
    return None if value is None else value.upper()


class SqliteCallbacks:
    """CallbackStore methods; the host class provides ``db``."""

    @property
    def db(self) -> sqlite3.Connection:
        raise NotImplementedError

    def _open_callbacks(self) -> None:
        self.db.executescript(CALLBACKS_SCHEMA)

    async def add_callback(self, callback: PendingCallback) -> None:
        self.db.execute(
            "INSERT INTO callbacks (callback_id, module, subject, state, expires, setter, doc)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                callback.callback_id,
                callback.module,
                _subject(callback.subject),
                callback.state.value,
                _ts(callback.expires),
                int(is_setter(callback)),
                _ENCODE(callback),
            ),
        )

    def _get(self, callback_id: str) -> PendingCallback | None:
        row = self.db.execute("SELECT doc FROM callbacks WHERE callback_id = ?", (callback_id,)).fetchone()
        return None if row is None else _DECODE(row[0])

    def _put(self, callback: PendingCallback) -> None:
        self.db.execute(
            "UPDATE callbacks SET state = ?, expires = ?, setter = ?, doc = ? WHERE callback_id = ?",
            (
                callback.state.value,
                _ts(callback.expires),
                int(is_setter(callback)),
                _ENCODE(callback),
                callback.callback_id,
            ),
        )

    async def get_callback(self, callback_id: str) -> PendingCallback | None:
        return self._get(callback_id)

    def _change(self, callback_id: str, change: Any, deliveries: Sequence[Delivery] = ()) -> bool:
        """Read, change (``change`` returns the new record or None for "no change") and write in one transaction."""
        with immediate(self.db) as db:
            current = self._get(callback_id)
            changed = None if current is None else change(current)
            if changed is None:
                return False
            self._put(changed)
            if deliveries:
                db.executemany(INSERT_DELIVERY, delivery_rows(deliveries))
            return True

    async def set_callback_expiry(self, callback_id: str, expires: DateTime) -> None:
        self._change(callback_id, lambda c: msgspec.structs.replace(c, expires=expires))

    async def close_callback(self, callback_id: str) -> bool:
        def close(c: PendingCallback) -> PendingCallback | None:
            if c.state is not CallbackState.PENDING:
                return None
            return msgspec.structs.replace(c, state=CallbackState.DONE)

        return self._change(callback_id, close)

    async def record_result(
        self, callback_id: str, result: str, *, finish: bool, deliveries: Sequence[Delivery] = ()
    ) -> bool:
        def take(c: PendingCallback) -> PendingCallback | None:
            if c.state is not CallbackState.PENDING or c.last_result == result:
                return None
            state = CallbackState.DONE if finish else CallbackState.PENDING
            return msgspec.structs.replace(c, state=state, last_result=result)

        return self._change(callback_id, take, deliveries)

    async def purge_callbacks(self, *, expired_before: DateTime, setters_before: DateTime) -> int:
        cur = self.db.execute(
            "DELETE FROM callbacks WHERE (setter = 0 AND expires < ?) OR (setter = 1 AND expires < ?)",
            (_ts(expired_before), _ts(setters_before)),
        )
        return cur.rowcount

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
        found = []
        rows = self.db.execute(
            "SELECT doc FROM callbacks WHERE module = ? AND subject = ? ORDER BY seq DESC", (module, _subject(subject))
        )
        for (doc,) in rows:
            callback = _DECODE(doc)
            if all(v is None or getattr(callback, k) == v for k, v in wanted.items()):
                found.append(callback)
                if len(found) >= limit:
                    break
        return found

    async def list_callbacks(self, *, offset: int = 0, limit: int = 1000) -> list[PendingCallback]:
        rows = self.db.execute("SELECT doc FROM callbacks ORDER BY seq LIMIT ? OFFSET ?", (limit, offset)).fetchall()
        return [_DECODE(r[0]) for r in rows]


__all__ = ("CALLBACKS_SCHEMA", "SqliteCallbacks")
