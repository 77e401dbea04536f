"""The PostgreSQL side of the Outbox (mixed into :class:`~reference_hub.store.postgres.PostgresStore`).

A claim picks the oldest due deliveries, each the oldest pending one of its stream, locks them ``FOR UPDATE SKIP
LOCKED`` and sets the lease in one statement, so processes claiming at the same moment skip each other's rows instead
of waiting for them or taking them twice; a row whose lease another process set meanwhile is re-checked under its
lock and left alone. When receivers are bounded (the worker's ``room``), the candidates are read first and the lease
is then set, conditionally, on those within each receiver's bound: the same re-check keeps a row from being taken
twice. The stream rule sees every pending
delivery of the stream, leased or not, so a receiver never gets a later change of an object while an earlier one is
in flight.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

import asyncpg
import msgspec

from reference_hub.ocpi.datetime import DateTime
from reference_hub.store.outbox import (
    CLAIM_WALK,
    Delivery,
    DeliveryQuery,
    DeliveryState,
    OutboxStats,
    WalkingClaims,
    delivery_filters,
    stored_headers,
    within_room,
)
from reference_hub.store.page import Page

log = logging.getLogger(__name__)

_COLUMNS = "delivery_id, receiver, stream, method, url, headers, body, created, due, attempts, state, last_error"

INSERT_DELIVERIES = (
    f"INSERT INTO deliveries ({_COLUMNS}) SELECT {_COLUMNS} FROM unnest($1::text[], $2::text[], $3::text[],"  # noqa: S608
    " $4::text[], $5::text[], $6::text[], $7::bytea[], $8::timestamptz[], $9::timestamptz[], $10::integer[],"
    f" $11::text[], $12::text[]) WITH ORDINALITY AS r({_COLUMNS}, n) ORDER BY n"
)
"""Every row of a plan in one statement, one array per column, inserted in the plan's order (a stream's order is its
rows' ``seq``). One INSERT per row (``executemany``) cost the server 40 µs a row, this 20 (50 rows at a time)."""


def _claim(receivers: str) -> str:
    """One statement that leases the oldest due rows of ``receivers`` (a condition on ``c.receiver``), each the oldest
    pending of its stream, skipping rows other processes hold locked. ``receivers`` is one of the two constants
    below, never a value from outside."""
    return (
        "UPDATE deliveries AS d SET lease_owner = $1, lease_until = $2 FROM ("  # noqa: S608
        " SELECT c.seq FROM deliveries AS c"
        f" WHERE c.state = 'PENDING' AND {receivers} AND c.due <= $3"
        " AND (c.lease_until IS NULL OR c.lease_until < $3)"
        " AND NOT EXISTS (SELECT 1 FROM deliveries AS e WHERE e.stream = c.stream AND e.state = 'PENDING'"
        " AND e.seq < c.seq)"
        " ORDER BY c.seq LIMIT $4 FOR UPDATE SKIP LOCKED) AS due"
        " WHERE d.seq = due.seq RETURNING d.seq, d.delivery_id, d.receiver, d.stream, d.method, d.url, d.headers,"
        " d.body, d.created, d.due, d.attempts, d.state, d.last_error"
    )


CLAIM_DUE = _claim("c.receiver <> '*announcements' AND NOT c.parked")
"""Used when no receiver is bounded; walks ``deliveries_walk``, which holds no announcement row and no parked one."""


CLAIM_CANDIDATES = (
    "SELECT c.seq, c.receiver FROM deliveries AS c"
    " WHERE c.state = 'PENDING' AND c.receiver <> '*announcements' AND NOT c.parked AND c.due <= $1"
    " AND (c.lease_until IS NULL OR c.lease_until < $1)"
    " AND c.receiver <> ALL($2::text[])"
    " AND NOT EXISTS (SELECT 1 FROM deliveries AS e WHERE e.stream = c.stream AND e.state = 'PENDING'"
    " AND e.seq < c.seq)"
    " ORDER BY c.seq LIMIT $3"
)
"""A bounded claim's first step: candidates in order, receivers without room left out (not locked: most candidates
are passed over, and locking them would keep other processes from them)."""

CLAIM_CANDIDATES_PER_RECEIVER = (
    "WITH RECURSIVE r(receiver) AS (SELECT min(receiver) FROM deliveries"
    " UNION ALL SELECT (SELECT min(d.receiver) FROM deliveries AS d WHERE d.receiver > r.receiver) FROM r"
    "  WHERE r.receiver IS NOT NULL)"
    " SELECT c.seq, c.receiver FROM r CROSS JOIN LATERAL ("
    "  SELECT c.seq, c.receiver FROM deliveries AS c WHERE c.receiver = r.receiver AND c.state = 'PENDING'"
    "  AND NOT c.parked AND c.due <= $1 AND (c.lease_until IS NULL OR c.lease_until < $1)"
    "  AND NOT EXISTS (SELECT 1 FROM deliveries AS e WHERE e.stream = c.stream AND e.state = 'PENDING'"
    "  AND e.seq < c.seq)"
    "  ORDER BY c.seq LIMIT $3) AS c"
    " WHERE r.receiver IS NOT NULL AND r.receiver <> '*announcements' AND r.receiver <> ALL($2::text[])"
    " ORDER BY c.seq"
)
"""The same candidates taken receiver by receiver (each receiver's first few, through ``deliveries_receiver_seq``,
found by a skip-scan of that index): one walk in seq order sees only the oldest rows, and a receiver back from an outage
holds thousands of those, so the others would wait for its whole backlog. Used when every receiver is bounded."""

PARKED_RECEIVERS = (
    "WITH RECURSIVE r(receiver) AS (SELECT min(receiver) FROM deliveries WHERE parked"
    " UNION ALL SELECT (SELECT min(d.receiver) FROM deliveries AS d WHERE d.parked AND d.receiver > r.receiver) FROM r"
    "  WHERE r.receiver IS NOT NULL)"
    " SELECT receiver FROM r WHERE receiver IS NOT NULL"
)
"""Every receiver with a parked row, one seek of ``deliveries_parked`` each."""

CLAIM_ANNOUNCEMENTS = _claim("c.receiver = '*announcements'")
"""The announcement rows no ordinary claim takes (``ANNOUNCEMENTS``), through ``deliveries_receiver_seq``."""

LEASE_CHOSEN = (
    "UPDATE deliveries SET lease_owner = $1, lease_until = $2 WHERE seq = ANY($3::bigint[]) AND state = 'PENDING'"
    " AND due <= $4 AND (lease_until IS NULL OR lease_until < $4)"
    " RETURNING seq, delivery_id, receiver, stream, method, url, headers, body, created, due, attempts, state,"
    " last_error"
)
"""Its second step: the lease on the candidates chosen, each still due and free (a row another process leased or
rescheduled meanwhile is re-checked after its lock is released, and left out)."""


UNBOUNDED_WALK = 8
"""A claim with some receivers bounded (``room``) but no bound for the others looks at this many candidates per
delivery it may take, so that the bounded receivers do not starve the others of a claim."""


ANALYSE_AT = 5_000
"""Rows waiting at which a claim analyses an outbox PostgreSQL holds no statistics of (see :meth:`_know_outbox`)."""
STATS_LOOK = 10.0
"""Seconds between two looks at whether the outbox has statistics, until it has."""
_OUTBOX_KNOWN = (
    "SELECT EXISTS (SELECT 1 FROM pg_stats WHERE schemaname = current_schema() AND tablename = 'deliveries'"
    " AND attname = 'state')"
)
_WAITING_AT_LEAST = "SELECT count(*) FROM (SELECT 1 FROM deliveries WHERE state = 'PENDING' LIMIT $1) AS w"


def _receiver_of(candidate: Any) -> str:
    return str(candidate[1])  # (seq, receiver)


class Params:
    """Numbered placeholders for a statement built from optional parts."""

    def __init__(self) -> None:
        self.values: list[Any] = []

    def add(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values)}"


def rowcount(status: str) -> int:
    """The row count of a command status such as ``UPDATE 1`` or ``INSERT 0 3``."""
    return int(status.rsplit(" ", 1)[-1])


def as_datetime(value: datetime) -> DateTime:
    return DateTime.from_datetime(value)


def delivery_columns(deliveries: Sequence[Delivery]) -> list[list[Any]]:
    """The values of :data:`INSERT_DELIVERIES`: one list per column, in the order of ``_COLUMNS``."""
    encode = msgspec.json.encode
    return [
        [d.delivery_id for d in deliveries],
        [d.receiver for d in deliveries],
        [d.stream for d in deliveries],
        [d.method for d in deliveries],
        [d.url for d in deliveries],
        [encode(d.headers).decode() for d in deliveries],
        [d.body for d in deliveries],
        [d.created for d in deliveries],
        [d.due for d in deliveries],
        [d.attempts for d in deliveries],
        [d.state.value for d in deliveries],
        [d.last_error for d in deliveries],
    ]


_LISTED = f"{_COLUMNS}, parked"
"""What the operator's views read of a row: its columns and whether it is parked."""


def _delivery(row: Sequence[Any]) -> Delivery:
    delivery_id, receiver, stream, method, url, headers, body, created, due, attempts, state, last_error = row
    return Delivery(
        delivery_id=delivery_id,
        receiver=receiver,
        stream=stream,
        method=method,
        url=url,
        headers=stored_headers(headers),
        body=body,
        created=as_datetime(created),
        due=as_datetime(due),
        attempts=attempts,
        state=DeliveryState(state),
        last_error=last_error,
    )


def _listed(row: Sequence[Any]) -> Delivery:
    """A row read with ``_LISTED``: the delivery and whether it is parked (claims read ``_COLUMNS`` alone)."""
    values = tuple(row)
    delivery = _delivery(values[:-1])
    delivery.parked = bool(values[-1])
    return delivery


async def insert_deliveries(connection: asyncpg.Connection, deliveries: Sequence[Delivery]) -> None:
    if deliveries:
        await connection.execute(INSERT_DELIVERIES, *delivery_columns(deliveries))


class PostgresOutbox(WalkingClaims):
    """Outbox methods; the host class provides ``pool``."""

    _outbox_known = False
    """PostgreSQL holds statistics of the outbox (found by :meth:`_know_outbox`; never looked for again)."""
    _next_stats_look = 0.0

    @property
    def pool(self) -> asyncpg.Pool:
        raise NotImplementedError

    async def enqueue(self, deliveries: list[Delivery]) -> None:
        async with self.pool.acquire() as connection, connection.transaction():
            await insert_deliveries(connection, deliveries)

    async def enqueue_folded(self, delivery: Delivery, fold: Callable[[bytes, bytes], bytes]) -> DateTime:
        async with self.pool.acquire() as connection, connection.transaction():
            # Locked, so a claim cannot lease it between this read and the update (a claim that leased it first is
            # waited for, and the row is then read as it leased it: not foldable).
            newest = await connection.fetchrow(
                "SELECT seq, body, attempts, lease_owner, due FROM deliveries WHERE stream = $1 AND state = 'PENDING'"
                " ORDER BY seq DESC LIMIT 1 FOR UPDATE",
                delivery.stream,
            )
            if newest is not None and newest["attempts"] == 0 and newest["lease_owner"] is None:
                due = min(as_datetime(newest["due"]), delivery.due)
                await connection.execute(
                    "UPDATE deliveries SET body = $1, due = $2 WHERE seq = $3",
                    fold(bytes(newest["body"] or b""), delivery.body or b""),
                    due,
                    newest["seq"],
                )
                return due
            await insert_deliveries(connection, [delivery])
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
        if not self._outbox_known and time.monotonic() >= self._next_stats_look:
            await self._know_outbox()
        room = dict(room or {})
        if not room and per_receiver is None:
            rows = await self.pool.fetch(CLAIM_DUE, owner, lease_until, now, limit)
        else:
            full = sorted(receiver for receiver, left in room.items() if left <= 0)
            # Every receiver bounded: one walk in seq order first, then, when receivers without room block it,
            # receiver by receiver (store/outbox.within_room). The walk leaves no receiver out, so that a full
            # receiver's backlog ends it at its LIMIT rather than being filtered row by row.
            if per_receiver is None:
                walk = await self.pool.fetch(CLAIM_CANDIDATES, now, full, limit * UNBOUNDED_WALK)
                taken, _ = within_room(walk, _receiver_of, limit, room, None)
            else:
                walked = None
                if self.claim_walk.worth_trying():
                    walk = await self.pool.fetch(CLAIM_CANDIDATES, now, [], limit * CLAIM_WALK)
                    walked = self.claim_walk.take(walk, _receiver_of, limit, room, per_receiver)
                if walked is not None:
                    taken = walked
                else:
                    most = min(limit, max([per_receiver, *room.values()]))
                    candidates = await self.pool.fetch(CLAIM_CANDIDATES_PER_RECEIVER, now, full, most)
                    taken, _ = within_room(candidates, _receiver_of, limit, room, per_receiver)
            chosen = [row[0] for row in taken]
            rows = await self.pool.fetch(LEASE_CHOSEN, owner, lease_until, chosen, now) if chosen else []
        rows = sorted(rows, key=lambda r: r[0])
        return [_delivery(tuple(row)[1:]) for row in rows]

    async def _know_outbox(self) -> None:
        """Analyse a new outbox as soon as ``ANALYSE_AT`` rows wait in it, once.

        A claim's plan is made from PostgreSQL's statistics of the outbox, and a new database has none until
        autovacuum first analyses the table, up to a minute after it began to fill (its nap). Without them the
        planner takes a filter on PENDING rows for a selective one: the walk read every waiting row and sorted them,
        and the lease ANDed the chosen keys with a bitmap of every pending row, each at every claim (0.2 to 0.3 s
        per claim at 100,000 rows, when a claim with statistics takes about 3 ms). A fan-out on a new hub fills
        the outbox by thousands of rows a second, so the claims fell behind in that minute and the backlog they had
        to read grew with it. Looked at every ``STATS_LOOK`` seconds until statistics exist (from this call, from
        autovacuum or from another process), then never again by this process."""
        self._next_stats_look = time.monotonic() + STATS_LOOK
        try:
            async with self.pool.acquire() as connection:
                if await connection.fetchval(_OUTBOX_KNOWN):
                    self._outbox_known = True
                    return
                if await connection.fetchval(_WAITING_AT_LEAST, ANALYSE_AT) >= ANALYSE_AT:
                    # A role that does not own the table gets a warning from the server and no statistics; the
                    # look ends here either way.
                    await connection.execute("ANALYZE deliveries")
                    self._outbox_known = True
        except asyncpg.PostgresError as exc:  # the claim goes on; autovacuum will analyse the table in time
            log.warning("analysing the outbox failed, left to autovacuum: %s", exc)
            self._outbox_known = True

    async def claim_announcements(self, owner: str, now: DateTime, lease_until: DateTime, limit: int) -> list[Delivery]:
        rows = sorted(await self.pool.fetch(CLAIM_ANNOUNCEMENTS, owner, lease_until, now, limit), key=lambda r: r[0])
        return [_delivery(tuple(row)[1:]) for row in rows]

    async def park_deliveries(self, receivers: Collection[str]) -> None:
        # Only the rows after what this object parked last, an index range of deliveries_receiver_seq each.
        if not receivers:
            return
        upto = self._parked_upto
        async with self.pool.acquire() as connection, connection.transaction():
            newest = await connection.fetchval("SELECT coalesce(max(seq), 0) FROM deliveries")
            await connection.executemany(
                "UPDATE deliveries SET parked = true"
                " WHERE receiver = $1 AND state = 'PENDING' AND seq > $2 AND NOT parked",
                [(receiver, upto.get(receiver, 0)) for receiver in receivers],
            )
        upto.update(dict.fromkeys(receivers, newest))

    async def unpark_deliveries(self, receivers: Collection[str] | None, *, keep: Collection[str] = ()) -> None:
        # Receiver by receiver, those with parked rows found by a skip-scan of deliveries_parked: a process starting
        # beside receivers out of rotation for long does not walk their parked rows to leave them parked.
        if receivers is None:
            kept = set(keep)
            named: Collection[str] = [row[0] for row in await self.pool.fetch(PARKED_RECEIVERS) if row[0] not in kept]
        else:
            named = receivers
        if named:
            await self.pool.execute(
                "UPDATE deliveries SET parked = false WHERE parked AND receiver = ANY($1::text[])", sorted(named)
            )
        self._forget_parked(receivers, keep)

    async def delivered(self, delivery_id: str, owner: str) -> None:
        await self.pool.execute(
            "DELETE FROM deliveries WHERE delivery_id = $1 AND lease_owner = $2", delivery_id, owner
        )

    async def delivered_many(self, delivery_ids: Sequence[str], owner: str) -> None:
        if delivery_ids:
            await self.pool.execute(
                "DELETE FROM deliveries WHERE delivery_id = ANY($1::text[]) AND lease_owner = $2",
                list(delivery_ids),
                owner,
            )

    async def replace_delivery(
        self, delivery_id: str, owner: str, deliveries: list[Delivery], *, rest: bytes | None = None
    ) -> bool:
        async with self.pool.acquire() as connection, connection.transaction():
            if rest is None:
                status = await connection.execute(
                    "DELETE FROM deliveries WHERE delivery_id = $1 AND lease_owner = $2", delivery_id, owner
                )
            else:
                status = await connection.execute(
                    "UPDATE deliveries SET body = $1, attempts = attempts + 1, lease_owner = NULL, lease_until = NULL"
                    " WHERE delivery_id = $2 AND lease_owner = $3",
                    rest,
                    delivery_id,
                    owner,
                )
            if rowcount(status) != 1:
                return False
            if deliveries:
                await connection.execute(
                    "DELETE FROM deliveries WHERE stream = ANY($1::text[]) AND state = 'PENDING' AND attempts = 0"
                    " AND lease_owner IS NULL",
                    sorted({d.stream for d in deliveries}),
                )
            await insert_deliveries(connection, deliveries)
        return True

    async def reschedule(self, delivery: Delivery, owner: str) -> None:
        await self.pool.execute(
            "UPDATE deliveries SET attempts = $1, due = $2, state = $3, last_error = $4, lease_owner = NULL,"
            " lease_until = NULL WHERE delivery_id = $5 AND lease_owner = $6",
            delivery.attempts,
            delivery.due,
            delivery.state.value,
            delivery.last_error,
            delivery.delivery_id,
            owner,
        )

    async def outbox_stats(self) -> list[OutboxStats]:
        rows = await self.pool.fetch(
            "SELECT receiver, count(*) FILTER (WHERE state = 'PENDING'), count(*) FILTER (WHERE state = 'FAILED'),"
            " min(created) FILTER (WHERE state = 'PENDING'),"
            " (SELECT e.last_error FROM deliveries AS e WHERE e.receiver = d.receiver AND e.last_error IS NOT NULL"
            "  ORDER BY e.seq DESC LIMIT 1),"
            " count(*) FILTER (WHERE state = 'PENDING' AND parked)"
            " FROM deliveries AS d GROUP BY receiver ORDER BY receiver"
        )
        return [
            OutboxStats(
                receiver=r[0],
                pending=r[1],
                failed=r[2],
                oldest_pending=None if r[3] is None else as_datetime(r[3]),
                last_error=r[4],
                parked=r[5],
            )
            for r in rows
        ]

    async def list_deliveries(self, *, receiver: str | None, state: DeliveryState, limit: int) -> list[Delivery]:
        p = Params()
        where = f"state = {p.add(state.value)}"
        if receiver is not None:
            where += f" AND receiver = {p.add(receiver)}"
        rows = await self.pool.fetch(
            f"SELECT {_LISTED} FROM deliveries WHERE {where} ORDER BY seq LIMIT {p.add(limit)}",  # noqa: S608
            *p.values,
        )
        return [_listed(r) for r in rows]

    async def find_deliveries(self, query: DeliveryQuery) -> Page[Delivery]:
        terms, values = delivery_filters(query)
        p = Params()
        where = []
        for term, value in zip(terms, values, strict=True):
            where.append(term.replace("?", p.add(value)))
        if query.created_from is not None:
            where.append(f"created >= {p.add(query.created_from)}")
        if query.created_to is not None:
            where.append(f"created < {p.add(query.created_to)}")
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        async with self.pool.acquire() as connection:
            total = await connection.fetchval(f"SELECT count(*) FROM deliveries {clause}", *p.values)  # noqa: S608
            rows = await connection.fetch(
                f"SELECT {_LISTED} FROM deliveries {clause} ORDER BY seq"  # noqa: S608
                f" LIMIT {p.add(query.limit)} OFFSET {p.add(query.offset)}",
                *p.values,
            )
        return Page(total=total, items=[_listed(r) for r in rows])

    async def retry_deliveries(self, receiver: str, due: DateTime) -> int:
        status = await self.pool.execute(
            "UPDATE deliveries SET state = 'PENDING', due = $1, lease_owner = NULL, lease_until = NULL"
            " WHERE receiver = $2 AND state = 'FAILED'",
            due,
            receiver,
        )
        return rowcount(status)

    async def drop_deliveries(self, receiver: str, state: DeliveryState) -> int:
        status = await self.pool.execute(
            "DELETE FROM deliveries WHERE receiver = $1 AND state = $2", receiver, state.value
        )
        return rowcount(status)

    async def drop_delivery(self, delivery_id: str) -> bool:
        return rowcount(await self.pool.execute("DELETE FROM deliveries WHERE delivery_id = $1", delivery_id)) == 1

    async def retry_delivery(self, delivery_id: str, due: DateTime) -> bool:
        status = await self.pool.execute(
            "UPDATE deliveries SET state = 'PENDING', due = $1, lease_owner = NULL, lease_until = NULL"
            " WHERE delivery_id = $2 AND state = 'FAILED'",
            due,
            delivery_id,
        )
        return rowcount(status) == 1


__all__ = (
    "CLAIM_CANDIDATES",
    "CLAIM_DUE",
    "INSERT_DELIVERIES",
    "Params",
    "PostgresOutbox",
    "as_datetime",
    "insert_deliveries",
    "rowcount",
)
