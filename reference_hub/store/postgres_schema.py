"""The PostgreSQL schema as versioned migrations, applied by the hub itself when it opens the store.

Each migration runs once, in order, in one transaction with its row in ``hub_schema_migrations``; PostgreSQL's DDL
is transactional, so a migration is applied whole or not at all. Hub processes starting together take a
transaction-level advisory lock first, so exactly one applies a pending migration and the others then find it done.
A database migrated by a newer hub (a version this one does not know) is refused rather than used half-understood.

Never edit a migration that has shipped: add the next one.
"""

from __future__ import annotations

from typing import Any

__all__ = ("MIGRATIONS", "MIGRATION_LOCK", "SchemaTooNew", "migrate")

MIGRATION_LOCK = 0x0C_91_AB_00
"""Advisory lock key held while migrations are checked and applied (any constant shared by every hub process)."""

CHANGES_CHANNEL = "ocpi_hub_changes"

_BASE = """
CREATE TABLE partners (
    partner_id text PRIMARY KEY,
    status     text NOT NULL,
    token_hash text UNIQUE,
    created    timestamptz NOT NULL,
    updated    timestamptz NOT NULL,
    doc        bytea NOT NULL
);
CREATE INDEX partners_created ON partners (created, partner_id);
CREATE INDEX partners_updated ON partners (updated);

CREATE TABLE party_keys (
    party_key  text PRIMARY KEY,
    partner_id text NOT NULL REFERENCES partners (partner_id) ON DELETE CASCADE
);
CREATE INDEX party_keys_partner ON party_keys (partner_id);

CREATE TABLE invitations (
    token_hash text PRIMARY KEY,
    created    timestamptz NOT NULL,
    used_by    text
);

CREATE TABLE objects (
    seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    module       text NOT NULL,
    owner        text NOT NULL,
    object_id    text NOT NULL,
    partner_id   text NOT NULL,
    audience     text,
    last_updated timestamptz NOT NULL,
    created      timestamptz NOT NULL,
    version      integer NOT NULL,
    body         bytea NOT NULL,
    UNIQUE (module, object_id, owner)
);
-- Pages: count, filter and skip over the offset inside this index (an index-only scan), then read the page's rows.
CREATE INDEX objects_page ON objects (module, seq) INCLUDE (last_updated, owner, audience);

CREATE TABLE deliveries (
    seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id text NOT NULL UNIQUE,
    receiver    text NOT NULL,
    stream      text NOT NULL,
    method      text NOT NULL,
    url         text NOT NULL,
    headers     text NOT NULL,
    body        bytea,
    created     timestamptz NOT NULL,
    due         timestamptz NOT NULL,
    attempts    integer NOT NULL,
    state       text NOT NULL,
    last_error  text,
    lease_owner text,
    lease_until timestamptz
);
-- Claims walk the pending deliveries in order and stop at their limit; the stream index answers "is an older
-- delivery of this stream still pending?".
CREATE INDEX deliveries_pending ON deliveries (seq) WHERE state = 'PENDING';
CREATE INDEX deliveries_stream ON deliveries (stream, seq) WHERE state = 'PENDING';
CREATE INDEX deliveries_receiver ON deliveries (receiver, state);

CREATE TABLE callbacks (
    seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    callback_id text NOT NULL UNIQUE,
    module      text NOT NULL,
    subject     text,
    state       text NOT NULL,
    expires     timestamptz NOT NULL,
    setter      boolean NOT NULL DEFAULT false,
    doc         bytea NOT NULL
);
CREATE INDEX callbacks_subject ON callbacks (module, subject, seq);
CREATE INDEX callbacks_expires ON callbacks (setter, expires);

-- Every hub process caches token lookups and partners; a committed change to partners or invitations moves this
-- counter and notifies the channel, so the caches of every process are dropped (the counter is read as a safety net
-- when a notification is missed).
CREATE TABLE hub_changes (
    id         integer PRIMARY KEY CHECK (id = 1),
    generation bigint NOT NULL
);
INSERT INTO hub_changes VALUES (1, 0);
CREATE FUNCTION hub_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE hub_changes SET generation = generation + 1 WHERE id = 1;
    PERFORM pg_notify('ocpi_hub_changes', '');
    RETURN NULL;
END
$$;
CREATE TRIGGER partners_changed AFTER INSERT OR UPDATE OR DELETE ON partners
    FOR EACH STATEMENT EXECUTE FUNCTION hub_changed();
CREATE TRIGGER invitations_changed AFTER INSERT OR UPDATE OR DELETE ON invitations
    FOR EACH STATEMENT EXECUTE FUNCTION hub_changed();
"""

_COORDINATION = """
-- Work one hub process does for all (the still-alive check): held by one owner until it expires.
CREATE TABLE leases (
    name  text PRIMARY KEY,
    owner text NOT NULL,
    until timestamptz NOT NULL
);
-- When any hub process last heard from each partner, so that a party talking to one process is not probed as
-- silent by another.
CREATE TABLE partner_heard (
    partner_id text PRIMARY KEY,
    heard      timestamptz NOT NULL
);
"""

_DESK = """
-- Invitations carry who they are for and when they stop working.
ALTER TABLE invitations ADD COLUMN label text NOT NULL DEFAULT '';
ALTER TABLE invitations ADD COLUMN expires timestamptz;
-- Named dashboard accounts (Argon2id hashes, never passwords) and the audit log of what they did.
CREATE TABLE operators (
    name          text PRIMARY KEY,
    role          text NOT NULL,
    password_hash text NOT NULL,
    created       timestamptz NOT NULL
);
CREATE TABLE audit (
    seq      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at       timestamptz NOT NULL,
    operator text NOT NULL,
    action   text NOT NULL,
    subject  text NOT NULL,
    detail   text NOT NULL
);
CREATE INDEX audit_subject ON audit (subject, seq);
-- Exchanges kept for a while to be looked at (failed ones, and what each receiver was delivered).
CREATE TABLE exchanges (
    request_id text PRIMARY KEY,
    at         timestamptz NOT NULL,
    object_ref text NOT NULL,
    expires    timestamptz NOT NULL,
    doc        bytea NOT NULL
);
CREATE INDEX exchanges_object ON exchanges (object_ref, at);
CREATE INDEX exchanges_expires ON exchanges (expires);
-- Parties whose recent sends failed (DEGRADED), written when that changes.
CREATE TABLE degraded (
    partner_id text PRIMARY KEY,
    since      timestamptz NOT NULL,
    error      text NOT NULL,
    at         timestamptz NOT NULL
);
"""

_PARTNER_STATUS = """
-- GET /health and every cache of partners count the ACTIVE ones: a scan of the whole table without this index, an
-- index-only scan with it. The columns are those of SQLite's partners_status, so a page of one status (the dashboard's
-- list) can be read from it in list order too.
CREATE INDEX partners_status ON partners (status, created, partner_id);
"""

_PARTNER_REMOVALS = """
-- Partners an operator removed (PostgresStore.partners_removed): their rows are gone, so the per-process caches of
-- partners learn of a removal from here. Stamped by the removing process, read back with a margin like partners'
-- updated stamps; kept for a day.
CREATE TABLE partner_removals (
    partner_id text NOT NULL,
    removed    timestamptz NOT NULL
);
CREATE INDEX partner_removals_removed ON partner_removals (removed);
"""

_SENDABLE = """
-- Claims walk the pending deliveries in order but never take an announcement row (the worker plans those into
-- deliveries when it has room, see hub/outbox.py): this index leaves them out, so the thousands that wait in a
-- registration wave cost a claim nothing. It replaces deliveries_pending, which held them.
CREATE INDEX deliveries_sendable ON deliveries (seq) WHERE state = 'PENDING' AND receiver <> '*announcements';
DROP INDEX deliveries_pending;
"""

_PARKED = """
-- The rows of a receiver out of rotation are parked (PostgresOutbox.park_deliveries): no claim takes them, and the
-- claims' walk leaves them out, where before a receiver out of rotation for long held the oldest rows and every claim
-- fell back to asking each receiver for its own. deliveries_receiver gains seq, so that parking again only what was
-- enqueued since is an index range; deliveries_parked finds the parked rows of receivers back in rotation.
ALTER TABLE deliveries ADD COLUMN parked boolean NOT NULL DEFAULT false;
CREATE INDEX deliveries_walk ON deliveries (seq)
    WHERE state = 'PENDING' AND receiver <> '*announcements' AND NOT parked;
DROP INDEX deliveries_sendable;
CREATE INDEX deliveries_receiver_seq ON deliveries (receiver, state, seq);
DROP INDEX deliveries_receiver;
CREATE INDEX deliveries_parked ON deliveries (receiver) WHERE parked;
"""

_OUTBOX_VACUUM = """
-- Every delivered row is deleted, 2,500 a second in a fan-out to 50 receivers, and the claims walk the low end of
-- the outbox's indexes, where the entries of deleted rows lie until vacuum removes them. With autovacuum's defaults
-- (a share of the table, and its cost-based throttle) vacuum fell behind: a returning receiver's backlog drained at
-- 27 deliveries a second while the others waited up to 101 s, the claims taking 1 to 3 s each (BENCHMARKS.md,
-- "Fan-out on PostgreSQL"). Here vacuum runs unthrottled once 5,000 rows have gone, whatever the table's size.
ALTER TABLE deliveries SET (autovacuum_vacuum_cost_delay = 0, autovacuum_vacuum_scale_factor = 0,
    autovacuum_vacuum_threshold = 5000);
"""

MIGRATIONS: tuple[tuple[int, str, str], ...] = (
    (1, "partners, invitations, objects, outbox, callbacks, change notification", _BASE),
    (2, "leases and last-heard times shared by hub processes", _COORDINATION),
    (3, "invitation labels and expiry, operators, audit log, kept exchanges, health marks", _DESK),
    (4, "an index of partners by status, in list order", _PARTNER_STATUS),
    (5, "removed partners, for the per-process caches of partners", _PARTNER_REMOVALS),
    (6, "the pending deliveries' index without the announcement rows", _SENDABLE),
    (7, "parked deliveries of receivers out of rotation", _PARKED),
    (8, "the outbox vacuumed as fast as deliveries delete its rows", _OUTBOX_VACUUM),
)
"""(version, what it adds, SQL), in order."""


class SchemaTooNew(RuntimeError):
    """The database was migrated by a newer hub."""


async def migrate(connection: Any, *, upto: int | None = None) -> list[int]:
    """Apply the migrations this database lacks (up to ``upto``, for tests of upgrades); returns those applied.

    ``connection`` is an asyncpg connection not inside a transaction.
    """
    applied: list[int] = []
    async with connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
        await connection.execute(
            "CREATE TABLE IF NOT EXISTS hub_schema_migrations ("
            " version integer PRIMARY KEY, name text NOT NULL, applied timestamptz NOT NULL DEFAULT now())"
        )
        done = {row[0] for row in await connection.fetch("SELECT version FROM hub_schema_migrations")}
        known = {version for version, _name, _sql in MIGRATIONS}
        unknown = sorted(done - known)
        if unknown:
            raise SchemaTooNew(
                f"the database has schema version {unknown[-1]}, newer than this hub knows ({max(known)}):"
                " upgrade the hub"
            )
        for version, name, sql in MIGRATIONS:
            if version in done or (upto is not None and version > upto):
                continue
            await connection.execute(sql)
            await connection.execute("INSERT INTO hub_schema_migrations (version, name) VALUES ($1, $2)", version, name)
            applied.append(version)
    return applied
