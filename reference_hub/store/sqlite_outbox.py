"""The SQLite side of the Outbox (mixed into :class:`~reference_hub.store.sqlite.SqliteStore`).

Claiming is one transaction (``sqlite_tx.immediate``: select, then set the lease), so two processes sharing the file
never lease one delivery twice. ``deliveries_stream`` lets the "oldest pending of its stream" test use an index;
``deliveries_receiver`` lets a claim ask each receiver with room for its own oldest rows (``CLAIM_RECEIVER``).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import sqlite3
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

import msgspec

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
    delivery_filters,
    stored_headers,
)
from reference_hub.store.page import Page
from reference_hub.store.sqlite_tx import immediate

OUTBOX_TABLE = """
CREATE TABLE IF NOT EXISTS deliveries (
    seq         INTEGER PRIMARY KEY,
    delivery_id TEXT NOT NULL UNIQUE,
    receiver    TEXT NOT NULL,
    stream      TEXT NOT NULL,
    method      TEXT NOT NULL,
    url         TEXT NOT NULL,
    headers     TEXT NOT NULL,
    body        BLOB,
    created     TEXT NOT NULL,
    due         TEXT NOT NULL,
    attempts    INTEGER NOT NULL,
    state       TEXT NOT NULL,
    last_error  TEXT,
    lease_owner TEXT,
    lease_until TEXT,
    parked      INTEGER NOT NULL DEFAULT 0
);
"""

OUTBOX_INDEXES = """
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (state, due);
DROP INDEX IF EXISTS deliveries_pending;
DROP INDEX IF EXISTS deliveries_sendable;
CREATE INDEX IF NOT EXISTS deliveries_walk ON deliveries (state, seq) WHERE receiver <> '*announcements' AND parked = 0;
CREATE INDEX IF NOT EXISTS deliveries_stream ON deliveries (stream, state, seq);
CREATE INDEX IF NOT EXISTS deliveries_receiver ON deliveries (receiver, state);
CREATE INDEX IF NOT EXISTS deliveries_parked ON deliveries (receiver) WHERE parked = 1;
"""
"""``deliveries_walk`` holds neither announcement rows nor parked ones (see :meth:`SqliteOutbox.park_deliveries`);
``deliveries_parked`` finds the parked rows of receivers no longer out of rotation."""


def create_outbox(db: sqlite3.Connection) -> None:
    """Create the outbox's table and indexes, or bring those of an older file up to date (the ``parked`` column came
    after the table's first release)."""
    db.executescript(OUTBOX_TABLE)
    if "parked" not in {row[1] for row in db.execute("PRAGMA table_info(deliveries)")}:
        db.execute("ALTER TABLE deliveries ADD COLUMN parked INTEGER NOT NULL DEFAULT 0")
    db.executescript(OUTBOX_INDEXES)


_COLUMNS = "delivery_id, receiver, stream, method, url, headers, body, created, due, attempts, state, last_error"

# The oldest claimable deliveries, walked in seq order through deliveries_walk so that LIMIT stops the walk early.
# Left to itself the planner picks deliveries_due and sorts every due row before taking the first few: with a backlog
# of 20,000 that is 30 ms per claim, and the backlog then grows faster than it drains. Used when no receiver is bounded.
# The index leaves the announcement rows out (``ANNOUNCEMENTS``, claimed by CLAIM_RECEIVER alone): in a registration
# wave thousands of them wait, oldest of all, and a walk that stepped over them would pay for each at every claim. It
# leaves out the parked rows too: those of receivers out of rotation, which no claim may take while they are.
CLAIM_DUE = (
    f"SELECT seq, {_COLUMNS} FROM deliveries AS d INDEXED BY deliveries_walk"  # noqa: S608
    " WHERE d.receiver <> '*announcements' AND d.parked = 0"
    " AND d.state = 'PENDING' AND d.due <= ? AND (d.lease_until IS NULL OR d.lease_until < ?)"
    " AND NOT EXISTS (SELECT 1 FROM deliveries AS e"
    "  WHERE e.stream = d.stream AND e.state = 'PENDING' AND e.seq < d.seq)"
    " ORDER BY d.seq LIMIT ?"
)


# With receivers bounded, a claim first walks CLAIM_DUE, stepped only as far as it needs (store/outbox.within_room),
# which is enough unless one receiver without room holds the oldest rows. One back from an outage holds the oldest few
# thousand, and a walk of any fixed length sees only those (it takes that receiver's room and passes over the rest), so
# every other receiver would wait until the backlog was gone. Then each receiver with room is asked for its own oldest
# claimable rows, through deliveries_receiver ((receiver, state) and then the rowid, which is seq, so no sort), and a
# receiver without room costs nothing however long its backlog.
def _receivers_with(rows: str) -> str:
    """Every receiver of ``rows`` (``deliveries`` and its index and condition, one of the constants below), one index
    seek each (a skip-scan): 50 receivers cost 50 seeks, not a scan of their rows."""
    return (
        f"WITH RECURSIVE r(receiver) AS (SELECT min(receiver) FROM {rows}"  # noqa: S608 (one of two constants)
        f" UNION ALL SELECT (SELECT min(receiver) FROM {rows} AND receiver > r.receiver) FROM r"
        "  WHERE r.receiver IS NOT NULL)"
        " SELECT receiver FROM r WHERE receiver IS NOT NULL"
    )


RECEIVERS = _receivers_with("deliveries WHERE 1")
"""Every receiver with a row."""

PARK_CHUNK = 2_000
"""Rows parked or unparked per transaction. A receiver back from an hour out holds a backlog of 180,000 rows at 50
pushes a second; parked or unparked in one statement, 200,000 rows held SQLite's write lock (every other process's
writes) and this process's event loop for 1.1 to 1.3 s. Between two chunks both are let go."""

PARKED_RECEIVERS = _receivers_with("deliveries INDEXED BY deliveries_parked WHERE parked = 1")
"""Every receiver with a parked row, through ``deliveries_parked``."""

CLAIM_RECEIVER = (
    f"SELECT seq, {_COLUMNS} FROM deliveries AS d INDEXED BY deliveries_receiver"  # noqa: S608
    " WHERE d.receiver = ? AND d.state = 'PENDING' AND d.parked = 0 AND d.due <= ?"
    " AND (d.lease_until IS NULL OR d.lease_until < ?)"
    " AND NOT EXISTS (SELECT 1 FROM deliveries AS e"
    "  WHERE e.stream = d.stream AND e.state = 'PENDING' AND e.seq < d.seq)"
    " ORDER BY d.seq LIMIT ?"
)


def _seq_of_row(row: Sequence[Any]) -> int:
    return int(row[0])


def _receiver_of_row(row: Sequence[Any]) -> str:
    return str(row[2])  # seq, delivery_id, receiver, ...


NEWEST_OF_STREAM = (
    "SELECT seq, body, attempts, lease_owner, due FROM deliveries INDEXED BY deliveries_stream"
    " WHERE stream = ? AND state = 'PENDING' ORDER BY seq DESC LIMIT 1"
)
"""The row a new delivery of a stream may be folded into (``enqueue_folded``)."""


def _ts(value: DateTime) -> str:
    return sortable(value)


def delivery_rows(deliveries: Sequence[Delivery]) -> list[tuple[Any, ...]]:
    """The rows to insert. The deliveries planned together (a push's, one per receiver; an announcement's ClientInfo
    PUTs: 1,000 on a hub of 1,000 platforms) share their moments, so each moment is formatted once, not twice per
    row. An object's write and its broadcast's rows go through here too."""
    formatted: dict[DateTime, str] = {}
    rows = []
    for d in deliveries:
        created = formatted.get(d.created)
        if created is None:
            created = formatted[d.created] = _ts(d.created)
        due = formatted.get(d.due)
        if due is None:
            due = formatted[d.due] = _ts(d.due)
        rows.append(
            (
                d.delivery_id,
                d.receiver,
                d.stream,
                d.method,
                d.url,
                msgspec.json.encode(d.headers).decode(),
                d.body,
                created,
                due,
                d.attempts,
                d.state.value,
                d.last_error,
            )
        )
    return rows


_LISTED = f"{_COLUMNS}, parked"
"""What the operator's views read of a row: its columns and whether it is parked."""


def _delivery(row: tuple[Any, ...], moments: Moments | None = None) -> Delivery:
    """The delivery of a row read with ``_COLUMNS``; ``moments``: those of the rows read with it (see Moments)."""
    delivery_id, receiver, stream, method, url, headers, body, created, due, attempts, state, last_error = row
    if moments is None:
        moments = Moments()
    return Delivery(
        delivery_id=delivery_id,
        receiver=receiver,
        stream=stream,
        method=method,
        url=url,
        headers=stored_headers(headers),
        body=None if body is None else bytes(body),
        created=moments[created],
        due=moments[due],
        attempts=attempts,
        state=DeliveryState(state),
        last_error=last_error,
    )


def _deliveries(rows: list[Any]) -> list[Delivery]:
    """The deliveries of claimed rows (``seq`` first)."""
    moments = Moments()
    return [_delivery(row[1:], moments) for row in rows]


def _listed(row: tuple[Any, ...]) -> Delivery:
    """A row read with ``_LISTED``: the delivery and whether it is parked (claims read ``_COLUMNS`` alone)."""
    delivery = _delivery(row[:-1])
    delivery.parked = bool(row[-1])
    return delivery


_SUPERSEDED = (
    "DELETE FROM deliveries WHERE stream IN (SELECT value FROM json_each(?)) AND state = 'PENDING' AND attempts = 0"
    " AND lease_owner IS NULL"
)
"""Never-tried deliveries of the streams a swap writes to (see ``Outbox.replace_delivery``): one statement, each
stream found through ``deliveries_stream``."""

INSERT_DELIVERY = f"INSERT INTO deliveries ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"  # noqa: S608


def _lease(db: sqlite3.Connection, rows: list[Any], owner: str, lease_until: DateTime) -> None:
    """Set ``owner``'s lease on the claimed ``rows`` (``seq`` first), inside the claim's transaction."""
    if rows:
        until = _ts(lease_until)
        db.executemany(
            "UPDATE deliveries SET lease_owner = ?, lease_until = ? WHERE seq = ?",
            [(owner, until, row[0]) for row in rows],
        )


class SqliteOutbox(WalkingClaims):
    """Outbox methods; the host class provides ``db``."""

    @property
    def db(self) -> sqlite3.Connection:
        raise NotImplementedError

    async def enqueue(self, deliveries: list[Delivery]) -> None:
        with immediate(self.db) as db:
            db.executemany(INSERT_DELIVERY, delivery_rows(deliveries))

    async def enqueue_folded(self, delivery: Delivery, fold: Callable[[bytes, bytes], bytes]) -> DateTime:
        with immediate(self.db) as db:
            newest = db.execute(NEWEST_OF_STREAM, (delivery.stream,)).fetchone()
            if newest is not None and newest[2] == 0 and newest[3] is None:
                due = min(newest[4], _ts(delivery.due))
                db.execute(
                    "UPDATE deliveries SET body = ?, due = ? WHERE seq = ?",
                    (fold(newest[1], delivery.body or b""), due, newest[0]),
                )
                return DateTime.parse(due)
            db.executemany(INSERT_DELIVERY, delivery_rows([delivery]))
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
        db = self.db
        stamp = _ts(now)
        with immediate(db):
            if not room and per_receiver is None:
                rows = db.execute(CLAIM_DUE, (stamp, stamp, limit)).fetchall()
            else:
                walked = self._walk_within_room(stamp, limit, room or {}, per_receiver)
                if walked is not None:
                    rows = walked
                else:
                    rows = self._oldest_per_receiver(stamp, limit, room or {}, per_receiver)
            _lease(db, rows, owner, lease_until)
        return _deliveries(rows)

    async def claim_announcements(self, owner: str, now: DateTime, lease_until: DateTime, limit: int) -> list[Delivery]:
        stamp = _ts(now)
        with immediate(self.db) as db:
            rows = db.execute(CLAIM_RECEIVER, (ANNOUNCEMENTS, stamp, stamp, limit)).fetchall()
            _lease(db, rows, owner, lease_until)
        return _deliveries(rows)

    def _oldest_per_receiver(
        self, stamp: str, limit: int, room: Mapping[str, int], per_receiver: int | None
    ) -> list[Any]:
        """The ``limit`` oldest claimable rows across receivers, each receiver's within its room: one statement per
        receiver with room, merged oldest first, each stepped only as far as the merge takes from it.

        Each statement read its whole share before (up to the receiver's room, 32 rows): while a returning receiver's
        backlog blocks the walk, every claim asks this way, and with 50 receivers each a little behind a claim of 64
        rows read and decoded 1,600, bodies and all. The claims then cost more the further behind the receivers
        were, and a hub near its limit fell further behind the longer the backlog drained (others' delays of
        seconds, the backlog drained at 130 a second). Merged, a claim steps its rows and one more per receiver."""
        cursors = []
        try:
            for (receiver,) in self.db.execute(RECEIVERS).fetchall():
                if receiver == ANNOUNCEMENTS:
                    continue
                left = room.get(receiver, per_receiver)
                wanted = limit if left is None else min(left, limit)
                if wanted > 0:
                    cursors.append(self.db.execute(CLAIM_RECEIVER, (receiver, stamp, stamp, wanted)))
            return list(itertools.islice(heapq.merge(*cursors, key=_seq_of_row), limit))
        finally:
            for cursor in cursors:
                cursor.close()

    def _walk_within_room(
        self, stamp: str, limit: int, room: Mapping[str, int], per_receiver: int | None
    ) -> list[Any] | None:
        """A bounded claim's rows from one walk in seq order (``CLAIM_DUE``), the statement stepped only as far as
        needed; None when the walk was blocked by receivers without room, or is resting after a blocked one (then ask
        receiver by receiver: see :func:`~reference_hub.store.outbox.within_room` and ``ClaimWalk``)."""
        if not self.claim_walk.worth_trying():
            return None
        cursor = self.db.execute(CLAIM_DUE, (stamp, stamp, limit * CLAIM_WALK))
        try:
            return self.claim_walk.take(cursor, _receiver_of_row, limit, room, per_receiver)
        finally:
            cursor.close()

    async def park_deliveries(self, receivers: Collection[str]) -> None:
        # Each receiver's rows are found through deliveries_receiver ((receiver, state), then the rowid, which is
        # seq): only those after what this object parked last, so naming a receiver out of rotation again every
        # poll costs two index seeks, not a pass over its backlog. How far is the receiver's own newest row, not the
        # outbox's: seq is a rowid, which SQLite gives again once the newest rows are deleted, but never at or below
        # a row still there. A long backlog goes PARK_CHUNK rows per transaction (see PARK_CHUNK).
        upto = self._parked_upto
        for receiver in receivers:
            low = upto.get(receiver, 0)
            while True:
                with immediate(self.db) as db:
                    chunk = db.execute(
                        "SELECT seq FROM deliveries INDEXED BY deliveries_receiver"
                        " WHERE receiver = ? AND state = 'PENDING' AND seq > ? ORDER BY seq LIMIT ?",
                        (receiver, low, PARK_CHUNK),
                    ).fetchall()
                    db.executemany("UPDATE deliveries SET parked = 1 WHERE seq = ? AND parked = 0", chunk)
                    if len(chunk) < PARK_CHUNK:
                        (newest,) = db.execute(
                            "SELECT max(seq) FROM deliveries WHERE receiver = ? AND state = 'PENDING'", (receiver,)
                        ).fetchone()
                        upto[receiver] = max(newest or 0, low)
                        break
                upto[receiver] = low = chunk[-1][0]
                await asyncio.sleep(0)

    async def unpark_deliveries(self, receivers: Collection[str] | None, *, keep: Collection[str] = ()) -> None:
        # Receiver by receiver, those with parked rows found by a skip-scan of deliveries_parked: a process starting
        # beside receivers out of rotation for long does not walk their parked rows to leave them parked.
        if receivers is None:
            kept = set(keep)
            named: Collection[str] = [r for (r,) in self.db.execute(PARKED_RECEIVERS).fetchall() if r not in kept]
        else:
            named = receivers
        for receiver in named:
            while True:
                with immediate(self.db) as db:
                    chunk = db.execute(
                        "SELECT seq FROM deliveries INDEXED BY deliveries_parked WHERE parked = 1 AND receiver = ?"
                        " LIMIT ?",
                        (receiver, PARK_CHUNK),
                    ).fetchall()
                    db.executemany("UPDATE deliveries SET parked = 0 WHERE seq = ?", chunk)
                if len(chunk) < PARK_CHUNK:
                    break
                await asyncio.sleep(0)
        self._forget_parked(receivers, keep)

    async def delivered(self, delivery_id: str, owner: str) -> None:
        self.db.execute("DELETE FROM deliveries WHERE delivery_id = ? AND lease_owner = ?", (delivery_id, owner))

    async def delivered_many(self, delivery_ids: Sequence[str], owner: str) -> None:
        if delivery_ids:
            with immediate(self.db) as db:
                db.executemany(
                    "DELETE FROM deliveries WHERE delivery_id = ? AND lease_owner = ?",
                    [(delivery_id, owner) for delivery_id in delivery_ids],
                )

    async def replace_delivery(
        self, delivery_id: str, owner: str, deliveries: list[Delivery], *, rest: bytes | None = None
    ) -> bool:
        with immediate(self.db) as db:
            if rest is None:
                held = db.execute(
                    "DELETE FROM deliveries WHERE delivery_id = ? AND lease_owner = ?", (delivery_id, owner)
                ).rowcount
            else:
                held = db.execute(
                    "UPDATE deliveries SET body = ?, attempts = attempts + 1, lease_owner = NULL, lease_until = NULL"
                    " WHERE delivery_id = ? AND lease_owner = ?",
                    (rest, delivery_id, owner),
                ).rowcount
            if held != 1:
                return False
            if deliveries:
                db.execute(_SUPERSEDED, (msgspec.json.encode(sorted({d.stream for d in deliveries})).decode(),))
            db.executemany(INSERT_DELIVERY, delivery_rows(deliveries))
        return True

    async def reschedule(self, delivery: Delivery, owner: str) -> None:
        self.db.execute(
            "UPDATE deliveries SET attempts = ?, due = ?, state = ?, last_error = ?, lease_owner = NULL,"
            " lease_until = NULL WHERE delivery_id = ? AND lease_owner = ?",
            (
                delivery.attempts,
                _ts(delivery.due),
                delivery.state.value,
                delivery.last_error,
                delivery.delivery_id,
                owner,
            ),
        )

    async def outbox_stats(self) -> list[OutboxStats]:
        rows = self.db.execute(
            "SELECT receiver, sum(state = 'PENDING'), sum(state = 'FAILED'),"
            " min(CASE WHEN state = 'PENDING' THEN created END),"
            " (SELECT last_error FROM deliveries AS e WHERE e.receiver = d.receiver AND e.last_error IS NOT NULL"
            "  ORDER BY e.seq DESC LIMIT 1),"
            " sum(state = 'PENDING' AND parked = 1)"
            " FROM deliveries AS d GROUP BY receiver ORDER BY receiver"
        ).fetchall()
        return [
            OutboxStats(
                receiver=r[0],
                pending=r[1],
                failed=r[2],
                oldest_pending=None if r[3] is None else DateTime.parse(r[3]),
                last_error=r[4],
                parked=r[5],
            )
            for r in rows
        ]

    async def list_deliveries(self, *, receiver: str | None, state: DeliveryState, limit: int) -> list[Delivery]:
        where, params = "state = ?", [state.value]
        if receiver is not None:
            where += " AND receiver = ?"
            params.append(receiver)
        rows = self.db.execute(
            f"SELECT {_LISTED} FROM deliveries WHERE {where} ORDER BY seq LIMIT ?",  # noqa: S608
            [*params, limit],
        ).fetchall()
        return [_listed(r) for r in rows]

    async def find_deliveries(self, query: DeliveryQuery) -> Page[Delivery]:
        where, params = delivery_filters(query)
        if query.created_from is not None:
            where.append("created >= ?")
            params.append(_ts(query.created_from))
        if query.created_to is not None:
            where.append("created < ?")
            params.append(_ts(query.created_to))
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        (total,) = self.db.execute(f"SELECT count(*) FROM deliveries {clause}", params).fetchone()  # noqa: S608
        rows = self.db.execute(
            f"SELECT {_LISTED} FROM deliveries {clause} ORDER BY seq LIMIT ? OFFSET ?",  # noqa: S608
            [*params, query.limit, query.offset],
        ).fetchall()
        return Page(total=total, items=[_listed(r) for r in rows])

    async def retry_deliveries(self, receiver: str, due: DateTime) -> int:
        cur = self.db.execute(
            "UPDATE deliveries SET state = 'PENDING', due = ?, lease_owner = NULL, lease_until = NULL"
            " WHERE receiver = ? AND state = 'FAILED'",
            (_ts(due), receiver),
        )
        return cur.rowcount

    async def drop_deliveries(self, receiver: str, state: DeliveryState) -> int:
        cur = self.db.execute("DELETE FROM deliveries WHERE receiver = ? AND state = ?", (receiver, state.value))
        return cur.rowcount

    async def drop_delivery(self, delivery_id: str) -> bool:
        return self.db.execute("DELETE FROM deliveries WHERE delivery_id = ?", (delivery_id,)).rowcount == 1

    async def retry_delivery(self, delivery_id: str, due: DateTime) -> bool:
        cur = self.db.execute(
            "UPDATE deliveries SET state = 'PENDING', due = ?, lease_owner = NULL, lease_until = NULL"
            " WHERE delivery_id = ? AND state = 'FAILED'",
            (_ts(due), delivery_id),
        )
        return cur.rowcount == 1


__all__ = (
    "CLAIM_DUE",
    "CLAIM_RECEIVER",
    "INSERT_DELIVERY",
    "RECEIVERS",
    "SqliteOutbox",
    "create_outbox",
    "delivery_rows",
)
