"""PostgreSQL store on asyncpg: several hub processes, on one host or many, sharing one database.

Why asyncpg: measured on this store's own statements (``tools/pg_drivers.py``, figures in ARCHITECTURE.md) it
served token lookups 2.4 times as fast as psycopg 3 and transactional writes, claims and pages about 1.3 times as
fast; the hub needs no feature only psycopg has.

Everything the hub promised is written in one transaction with what caused it: an object and its outbox rows, a
command result and its delivery, a registration and the invitation it consumes. Claims of due deliveries lock the
rows they take with ``FOR UPDATE SKIP LOCKED``, so processes claiming at once split the work and never take one
delivery twice. The schema is created and upgraded by the hub on start (``postgres_schema.py``).

Caches of other processes: a committed change to partners or invitations bumps a counter row and sends a
notification (a trigger, so changes made by any client count); each process listens on a connection of its own
and also reads the counter every ``CHANGE_POLL`` seconds, which bounds how long a missed notification can go
unnoticed. :meth:`change_marker` moves on either.

URL: ``postgresql://USER:PASSWORD@HOST:PORT/DATABASE`` (or ``postgres://``) with any libpq-style parameters asyncpg
understands (``sslmode``...), plus ``pool_size`` (connections per hub process, default 10).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg
import msgspec

from reference_hub.ocpi.datetime import DateTime, dec_hook, enc_hook, now, sortable
from reference_hub.store.base import (
    REMOVALS_KEPT,
    Conflict,
    DuplicateParty,
    Invitation,
    Page,
    Partner,
    PartnerStatus,
    TokenHolder,
    TokenOwner,
    changed_by_stamp,
    holders_from_rows,
    removals_by_stamp,
    stamp_since,
)
from reference_hub.store.coordination import HEARD_PAGE
from reference_hub.store.postgres_callbacks import PostgresCallbacks
from reference_hub.store.postgres_desk import PostgresDesk
from reference_hub.store.postgres_objects import PostgresObjects
from reference_hub.store.postgres_outbox import Params, PostgresOutbox, as_datetime, rowcount
from reference_hub.store.postgres_schema import CHANGES_CHANNEL, migrate

log = logging.getLogger(__name__)

CHANGE_POLL = 0.5
"""Seconds between two reads of the change counter (the bound on a missed notification)."""
DEFAULT_POOL_SIZE = 10

_LIVE = [PartnerStatus.PENDING.value, PartnerStatus.ACTIVE.value, PartnerStatus.SUSPENDED.value]
"""Statuses that hold their token hash and party keys (a SUSPENDED partner keeps both until it is reactivated)."""

_LOOKUP = (
    "SELECT doc, NULL::timestamptz, NULL::text, NULL::timestamptz FROM partners"
    " WHERE token_hash = $1 AND status = ANY($2::text[])"
    " UNION ALL SELECT NULL, created, label, expires FROM invitations WHERE token_hash = $1 AND used_by IS NULL"
    " LIMIT 1"
)

_HOLDERS = (
    "SELECT token_hash, partner_id, status, doc, NULL::timestamptz FROM partners"
    " WHERE token_hash = ANY($1::text[]) AND status = ANY($2::text[])"
    " UNION ALL SELECT token_hash, NULL, NULL, NULL, expires FROM invitations"
    " WHERE token_hash = ANY($1::text[]) AND used_by IS NULL"
)


def split_url(url: str) -> tuple[str, int]:
    """The DSN for asyncpg and the pool size (``pool_size`` is ours: asyncpg would send it to the server as a
    setting)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    size = DEFAULT_POOL_SIZE
    kept = []
    for key, value in query:
        if key == "pool_size":
            if not value.isdigit() or int(value) < 1:
                raise ValueError(f"pool_size must be a positive integer, not {value!r}")
            size = int(value)
        else:
            kept.append((key, value))
    scheme = "postgresql" if parts.scheme in ("postgresql", "postgres") else parts.scheme
    return urlunsplit((scheme, parts.netloc, parts.path, urlencode(kept), parts.fragment)), size


def _invitation(token_hash: str, created: Any, label: str | None, expires: Any) -> Invitation:
    return Invitation(
        token_hash=token_hash,
        created=as_datetime(created),
        label=label or "",
        expires=None if expires is None else as_datetime(expires),
    )


SERVER_SETTINGS = {"plan_cache_mode": "force_custom_plan"}
"""Every statement of the hub's connections is planned for the data it runs on.

asyncpg prepares each statement once per connection, and after five runs PostgreSQL may keep a generic plan for
it, made from the statistics of that moment. The outbox starts empty and grows by thousands of rows a second under
a fan-out, faster than autovacuum analyses it: a claim's generic plan made while it held a few rows checked "no older
row of the same stream" by reading every pending row, for each row it took. Measured with 100,000 rows waiting:
6 to 7 s per claim of 64 rows (about 3 ms with a plan made for them), and under ``make bench``'s fan-out the hub
stalled for over a minute (2,500 deliveries a second asked, 1,198 and then 470 delivered). A custom plan costs a
planning of each run (half a millisecond for a claim's walk, measured; less for simpler statements), which is cheap
beside that risk. Before a new outbox has statistics at all, even a custom plan reads the whole backlog at every
claim: a claim then analyses it (``PostgresOutbox._know_outbox``)."""


class PostgresStore(PostgresObjects, PostgresOutbox, PostgresCallbacks, PostgresDesk):
    """Store adapter on an asyncpg connection pool."""

    name = "postgresql"
    exact_marker = False  # the marker moves when a notification arrives, a moment after the commit

    def __init__(self, url: str) -> None:
        self._dsn, self.pool_size = split_url(url)  # may hold a password: never log it
        self._pool: asyncpg.Pool | None = None
        self._listener: asyncpg.Connection | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._marker = 0
        self._generation: int | None = None
        self._encode = msgspec.json.Encoder(enc_hook=enc_hook).encode
        self._decode = msgspec.json.Decoder(Partner, dec_hook=dec_hook).decode

    # --- connection ------------------------------------------------------------------------------------------

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("store is not open")
        return self._pool

    async def open(self) -> None:
        if self._pool is not None:
            return
        pool = await asyncpg.create_pool(
            self._dsn, min_size=1, max_size=self.pool_size, server_settings=SERVER_SETTINGS
        )
        try:
            async with pool.acquire() as connection:
                applied = await migrate(connection)
                self._generation = await connection.fetchval("SELECT generation FROM hub_changes WHERE id = 1")
            if applied:
                log.info("PostgreSQL schema migrated: applied version(s) %s", ", ".join(map(str, applied)))
        except BaseException:
            await pool.close()
            raise
        self._pool = pool
        await self._listen()
        self._watcher = asyncio.create_task(self._watch(), name="postgresql change watcher")

    async def close(self) -> None:
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(Exception):
                await listener.close(timeout=5)
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()

    async def health(self) -> dict[str, object]:
        count = await self.pool.fetchval("SELECT count(*) FROM partners WHERE status = 'ACTIVE'")
        return {"backend": "postgresql", "active_partners": count}

    # --- changes made by other processes ---------------------------------------------------------------------

    def change_marker(self) -> int:
        return self._marker

    def _notified(self, *_args: object) -> None:
        self._marker += 1

    async def _listen(self) -> None:
        """A connection of its own that LISTENs; a failure only costs speed (the counter is polled anyway)."""
        try:
            listener = await asyncpg.connect(self._dsn)
            await listener.add_listener(CHANGES_CHANNEL, self._notified)
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("cannot listen for store changes (%s); relying on polling every %s s", exc, CHANGE_POLL)
            return
        self._listener = listener
        self._marker += 1  # whatever happened while nobody listened

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(CHANGE_POLL)
            try:
                if self._listener is None or self._listener.is_closed():
                    self._listener = None
                    await self._listen()
                generation = await self.pool.fetchval("SELECT generation FROM hub_changes WHERE id = 1")
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("cannot read the store's change counter: %s", exc)
                continue
            if generation != self._generation:
                self._generation = generation
                self._marker += 1

    # --- invitations ---------------------------------------------------------------------------------------

    async def add_invitation(self, invitation: Invitation) -> None:
        await self.pool.execute(
            "INSERT INTO invitations (token_hash, created, used_by, label, expires) VALUES ($1, $2, $3, $4, $5)",
            invitation.token_hash,
            invitation.created,
            invitation.used_by,
            invitation.label,
            invitation.expires,
        )

    async def lookup_token(self, token_hash: str) -> TokenOwner | None:
        row = await self.pool.fetchrow(_LOOKUP, token_hash, _LIVE)
        if row is None:
            return None
        if row[0] is not None:
            return TokenOwner(partner=self._decode(row[0]))
        return TokenOwner(invitation=_invitation(token_hash, row[1], row[2], row[3]))

    async def token_holders(self, token_hashes: Sequence[str]) -> dict[str, TokenHolder]:
        if not token_hashes:
            return {}
        rows = await self.pool.fetch(_HOLDERS, list(token_hashes), _LIVE)
        return holders_from_rows(rows, as_datetime)

    async def live_token_holders(self, after: str | None, limit: int) -> list[TokenHolder]:
        rows = await self.pool.fetch(
            "SELECT token_hash, partner_id, status, doc, NULL::timestamptz FROM partners"
            " WHERE token_hash > $1 AND status = ANY($2::text[]) ORDER BY token_hash LIMIT $3",
            after or "",
            _LIVE,
            limit,
        )
        return list(holders_from_rows(rows, as_datetime).values())

    async def list_invitations(self, *, limit: int = 1000) -> list[Invitation]:
        rows = await self.pool.fetch(
            "SELECT token_hash, created, label, expires FROM invitations WHERE used_by IS NULL"
            " ORDER BY created, token_hash LIMIT $1",
            limit,
        )
        return [_invitation(*r) for r in rows]

    async def revoke_invitation(self, token_hash: str) -> bool:
        status = await self.pool.execute(
            "DELETE FROM invitations WHERE token_hash = $1 AND used_by IS NULL", token_hash
        )
        return rowcount(status) == 1

    # --- partners ------------------------------------------------------------------------------------------

    async def _write_keys(self, connection: asyncpg.Connection, partner: Partner) -> None:
        await connection.execute("DELETE FROM party_keys WHERE partner_id = $1", partner.partner_id)
        if partner.status.value in _LIVE and partner.party_keys:
            await connection.execute(
                "INSERT INTO party_keys (party_key, partner_id) SELECT unnest($1::text[]), $2",
                partner.party_keys,
                partner.partner_id,
            )

    def _values(self, partner: Partner) -> tuple[Any, ...]:
        return (
            partner.status.value,
            partner.token_hash,
            partner.created,
            partner.updated,
            self._encode(partner),
            partner.partner_id,
        )

    async def insert_partner(self, partner: Partner, *, consume_invitation: str | None) -> None:
        try:
            async with self.pool.acquire() as connection, connection.transaction():
                if consume_invitation is not None:
                    status = await connection.execute(
                        "UPDATE invitations SET used_by = $1 WHERE token_hash = $2 AND used_by IS NULL",
                        partner.partner_id,
                        consume_invitation,
                    )
                    if rowcount(status) != 1:
                        raise Conflict("the registration token was used already")
                existing = await connection.fetchval(
                    "SELECT status FROM partners WHERE partner_id = $1 FOR UPDATE", partner.partner_id
                )
                if existing is not None and existing != PartnerStatus.INACTIVE.value:
                    raise DuplicateParty(f"partner {partner.partner_id} is already registered")
                if existing is not None:
                    await connection.execute(
                        "UPDATE partners SET status = $1, token_hash = $2, created = $3, updated = $4, doc = $5"
                        " WHERE partner_id = $6",
                        *self._values(partner),
                    )
                else:
                    await connection.execute(
                        "INSERT INTO partners (status, token_hash, created, updated, doc, partner_id)"
                        " VALUES ($1, $2, $3, $4, $5, $6)",
                        *self._values(partner),
                    )
                await self._write_keys(connection, partner)
        except asyncpg.UniqueViolationError as exc:
            raise DuplicateParty(await self._which_duplicate(partner)) from exc

    async def _which_duplicate(self, partner: Partner) -> str:
        if partner.status.value in _LIVE and partner.party_keys:
            row = await self.pool.fetchrow(
                "SELECT party_key, partner_id FROM party_keys WHERE party_key = ANY($1::text[]) AND partner_id <> $2"
                " ORDER BY party_key LIMIT 1",
                partner.party_keys,
                partner.partner_id,
            )
            if row is not None:
                return f"party {row[0]} is already registered by partner {row[1]}"
        return f"partner {partner.partner_id} or its token is already registered"

    async def replace_partner(self, partner: Partner, *, expected_token_hash: str | None) -> None:
        try:
            async with self.pool.acquire() as connection, connection.transaction():
                status = await connection.execute(
                    "UPDATE partners SET status = $1, token_hash = $2, created = $3, updated = $4, doc = $5"
                    " WHERE partner_id = $6 AND token_hash IS NOT DISTINCT FROM $7",
                    *self._values(partner),
                    expected_token_hash,
                )
                if rowcount(status) != 1:
                    raise Conflict(f"partner {partner.partner_id} changed concurrently")
                await self._write_keys(connection, partner)
        except asyncpg.UniqueViolationError as exc:
            raise DuplicateParty(await self._which_duplicate(partner)) from exc

    async def get_partner(self, partner_id: str) -> Partner | None:
        doc = await self.pool.fetchval("SELECT doc FROM partners WHERE partner_id = $1", partner_id)
        return None if doc is None else self._decode(doc)

    async def list_partners(
        self,
        *,
        statuses: tuple[PartnerStatus, ...],
        date_from: DateTime | None = None,
        date_to: DateTime | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> Page[Partner]:
        p = Params()
        where = [f"status = ANY({p.add([s.value for s in statuses])}::text[])"]
        if date_from is not None:
            where.append(f"updated >= {p.add(date_from)}")
        if date_to is not None:
            where.append(f"updated < {p.add(date_to)}")
        clause = " AND ".join(where)
        async with self.pool.acquire() as connection:
            total = await connection.fetchval(f"SELECT count(*) FROM partners WHERE {clause}", *p.values)  # noqa: S608
            if limit == 0 or offset >= total:
                return Page(total=total, items=[])
            rows = await connection.fetch(
                f"SELECT doc FROM partners WHERE {clause} ORDER BY created, partner_id"  # noqa: S608
                f" LIMIT {p.add(limit)} OFFSET {p.add(offset)}",
                *p.values,
            )
        return Page(total=total, items=[self._decode(r[0]) for r in rows])

    async def partners_changed(self, after: str | None) -> tuple[list[Partner], str]:
        # Several processes (and hosts) commit here concurrently, in no order their stamps could show.
        return await changed_by_stamp(self, after)

    async def party_owner(self, party_key: str) -> str | None:
        owner = await self.pool.fetchval("SELECT partner_id FROM party_keys WHERE party_key = $1", party_key)
        return None if owner is None else str(owner)

    async def confirm_token(self, partner_id: str, token_hash: str) -> bool:
        async with self.pool.acquire() as connection, connection.transaction():
            doc = await connection.fetchval(
                "SELECT doc FROM partners WHERE partner_id = $1 AND token_hash = $2 FOR UPDATE", partner_id, token_hash
            )
            if doc is None:
                return False
            partner = self._decode(doc)
            if not partner.token_confirmed:
                confirmed = msgspec.structs.replace(partner, token_confirmed=True)
                await connection.execute(
                    "UPDATE partners SET doc = $1 WHERE partner_id = $2", self._encode(confirmed), partner_id
                )
            return True

    async def set_offline(self, partner_id: str, offline: bool, updated: DateTime) -> Partner | None:
        async with self.pool.acquire() as connection, connection.transaction():
            doc = await connection.fetchval(
                "SELECT doc FROM partners WHERE partner_id = $1 AND status = 'ACTIVE' FOR UPDATE", partner_id
            )
            if doc is None:
                return None
            partner = self._decode(doc)
            if partner.offline == offline:
                return None
            changed = msgspec.structs.replace(partner, offline=offline, updated=updated)
            await connection.execute(
                "UPDATE partners SET updated = $1, doc = $2 WHERE partner_id = $3",
                updated,
                self._encode(changed),
                partner_id,
            )
            return changed

    async def delete_partner(self, partner_id: str) -> bool:
        async with self.pool.acquire() as connection, connection.transaction():
            await connection.execute("DELETE FROM party_keys WHERE partner_id = $1", partner_id)
            await connection.execute("DELETE FROM partner_heard WHERE partner_id = $1", partner_id)
            status = await connection.execute("DELETE FROM partners WHERE partner_id = $1", partner_id)
            if rowcount(status) == 1:
                stamp = now()
                await connection.execute(
                    "INSERT INTO partner_removals (partner_id, removed) VALUES ($1, $2)", partner_id, stamp
                )
                await connection.execute("DELETE FROM partner_removals WHERE removed < $1", stamp - REMOVALS_KEPT)
        return rowcount(status) == 1

    async def partners_removed(self, after: str | None) -> tuple[list[str], str]:
        # Several processes (and hosts) remove concurrently, in no order their stamps could show: a margin, as for
        # partners_changed.
        since = stamp_since(after)
        rows = (
            []
            if since is None
            else await self.pool.fetch("SELECT partner_id, removed FROM partner_removals WHERE removed >= $1", since)
        )
        return removals_by_stamp(((str(r[0]), sortable(r[1], zulu=True)) for r in rows), after, now())

    # --- coordination between processes ----------------------------------------------------------------------

    async def take_lease(self, name: str, owner: str, now: DateTime, until: DateTime) -> bool:
        holder = await self.pool.fetchval(
            "INSERT INTO leases (name, owner, until) VALUES ($1, $2, $3)"
            " ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner, until = EXCLUDED.until"
            " WHERE leases.owner = EXCLUDED.owner OR leases.until < $4 RETURNING owner",
            name,
            owner,
            until,
            now,
        )
        return holder == owner

    async def note_heard(self, heard: Mapping[str, DateTime]) -> None:
        if not heard:
            return
        ids = sorted(heard)  # every process locks the rows in one order: concurrent upserts cannot deadlock
        await self.pool.execute(
            "INSERT INTO partner_heard (partner_id, heard) SELECT * FROM unnest($1::text[], $2::timestamptz[])"
            " ON CONFLICT (partner_id) DO UPDATE SET heard = greatest(partner_heard.heard, EXCLUDED.heard)",
            ids,
            [heard[i] for i in ids],
        )

    async def heard_times(self) -> dict[str, DateTime]:
        # In pages of HEARD_PAGE (see there); each distinct time made a DateTime once (the processes write one time
        # per second), not once per partner.
        made: dict[datetime, DateTime] = {}
        heard: dict[str, DateTime] = {}
        after = ""
        while True:
            rows = await self.pool.fetch(
                "SELECT partner_id, heard FROM partner_heard WHERE partner_id > $1 ORDER BY partner_id LIMIT $2",
                after,
                HEARD_PAGE,
            )
            for partner_id, at in rows:
                moment = made.get(at)
                if moment is None:
                    moment = made[at] = as_datetime(at)
                heard[partner_id] = moment
            if len(rows) < HEARD_PAGE:
                return heard
            after = rows[-1][0]


__all__ = ("PostgresStore", "split_url")
