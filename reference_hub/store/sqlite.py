"""Embedded SQLite store: a durable file in WAL mode, or ``:memory:`` for tests.

Every statement runs on one connection in the event-loop thread. They are indexed single-row operations that take
microseconds, which is cheaper than handing each to a worker thread; WAL lets several hub processes share the file
(``busy_timeout`` covers a writer waiting for another). ``PRAGMA data_version`` changes when *another* connection
commits, which is what the in-process token cache needs to know.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import mmap
import os
import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path

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
    decode_kept,
    holders_from_rows,
)
from reference_hub.store.coordination import HEARD_PAGE
from reference_hub.store.sqlite_callbacks import SqliteCallbacks
from reference_hub.store.sqlite_desk import DESK_SCHEMA, SqliteDesk
from reference_hub.store.sqlite_objects import SqliteObjects
from reference_hub.store.sqlite_outbox import SqliteOutbox
from reference_hub.store.sqlite_tx import immediate

_SCHEMA = """
CREATE TABLE IF NOT EXISTS partners (
    partner_id TEXT PRIMARY KEY,
    status     TEXT NOT NULL,
    token_hash TEXT UNIQUE,
    created    TEXT NOT NULL,
    updated    TEXT NOT NULL,
    doc        BLOB NOT NULL,
    changed    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS partners_created ON partners (created, partner_id);
CREATE INDEX IF NOT EXISTS partners_updated ON partners (updated);
CREATE TABLE IF NOT EXISTS party_keys (
    party_key  TEXT PRIMARY KEY,
    partner_id TEXT NOT NULL REFERENCES partners (partner_id)
);
CREATE INDEX IF NOT EXISTS party_keys_partner ON party_keys (partner_id);
CREATE TABLE IF NOT EXISTS invitations (
    token_hash TEXT PRIMARY KEY,
    created    TEXT NOT NULL,
    used_by    TEXT,
    label      TEXT NOT NULL DEFAULT '',
    expires    TEXT
);
CREATE TABLE IF NOT EXISTS leases (
    name  TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    until TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS partner_heard (
    partner_id TEXT PRIMARY KEY,
    heard      TEXT NOT NULL
);
-- Partners an operator removed, in the order of their removal (SqliteStore.partners_removed): their rows are gone, so
-- the per-process caches of partners learn of a removal from here. Kept for REMOVALS_KEPT.
CREATE TABLE IF NOT EXISTS partner_removals (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    partner_id TEXT NOT NULL,
    removed    TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS partner_removals_removed ON partner_removals (removed);
-- Moves with every committed change to partners or invitations, whoever made it: what every process's token and
-- partner caches follow (SqliteStore.change_marker). Other tables (leases, last-heard times, objects, the outbox)
-- are written all the time and say nothing about tokens.
CREATE TABLE IF NOT EXISTS hub_changes (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    generation INTEGER NOT NULL
);
INSERT OR IGNORE INTO hub_changes VALUES (1, 0);
-- Written once each time a store opens, to see that the WAL-index header it reads moves (SqliteStore.change_marker).
CREATE TABLE IF NOT EXISTS wal_probe (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    opened INTEGER NOT NULL
);
CREATE TRIGGER IF NOT EXISTS partners_insert AFTER INSERT ON partners
    BEGIN UPDATE hub_changes SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS partners_update AFTER UPDATE ON partners
    BEGIN UPDATE hub_changes SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS partners_delete AFTER DELETE ON partners
    BEGIN UPDATE hub_changes SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS invitations_insert AFTER INSERT ON invitations
    BEGIN UPDATE hub_changes SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS invitations_update AFTER UPDATE ON invitations
    BEGIN UPDATE hub_changes SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS invitations_delete AFTER DELETE ON invitations
    BEGIN UPDATE hub_changes SET generation = generation + 1 WHERE id = 1; END;
"""

_LIVE = (PartnerStatus.PENDING.value, PartnerStatus.ACTIVE.value, PartnerStatus.SUSPENDED.value)
"""Statuses that hold their token hash and party keys (a SUSPENDED partner keeps both until it is reactivated)."""


def private_file(path: Path) -> None:
    """Create ``path`` (mode 0600) and its missing directories (mode 0700) before anything writes to it: the database
    holds token hashes and sealed tokens, and SQLite gives its WAL and shared-memory files the database's mode."""
    missing = [d for d in (path.parent, *path.parent.parents) if not d.exists()]
    for directory in reversed(missing):
        directory.mkdir(mode=0o700, exist_ok=True)
    if not path.exists():
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def _ts(value: DateTime) -> str:
    return sortable(value)


_NEXT = "(SELECT coalesce(max(changed), 0) + 1 FROM partners)"
"""The number a partner write takes (``partners.changed``): one more than any before it. Writes run one at a time
(``BEGIN IMMEDIATE``), so these numbers are in commit order, which :meth:`SqliteStore.partners_changed` relies on."""


_ADDED_COLUMNS = {
    "invitations": (("label", "TEXT NOT NULL DEFAULT ''"), ("expires", "TEXT")),
    "partners": (("changed", "INTEGER NOT NULL DEFAULT 0"),),
}
"""Columns added to tables after their first release: a database file made before them gets them when opened."""


def _add_missing_columns(db: sqlite3.Connection) -> None:
    for table, columns in _ADDED_COLUMNS.items():
        present = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
        for name, declaration in columns:
            if name not in present:
                db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {declaration}")


def _invitation(token_hash: str, created: str, label: str | None, expires: str | None) -> Invitation:
    return Invitation(
        token_hash=token_hash,
        created=DateTime.parse(created),
        label=label or "",
        expires=None if expires is None else DateTime.parse(expires),
    )


@functools.cache
def _holders_query(count: int) -> str:
    """One statement for the partners and invitations holding any of ``count`` token hashes: a UNION ALL of indexed
    equality lookups (an ``IN`` list cost SQLite an ephemeral table per statement, half again as much)."""
    partner = (
        "SELECT token_hash, partner_id, status, doc, NULL FROM partners WHERE token_hash = ? AND status IN (?, ?, ?)"
    )
    invitation = (
        "SELECT token_hash, NULL, NULL, NULL, expires FROM invitations WHERE token_hash = ? AND used_by IS NULL"
    )
    return " UNION ALL ".join([partner] * count + [invitation] * count)


LIVE_HOLDERS = (
    "SELECT token_hash, partner_id, status, doc, NULL FROM partners"
    " WHERE token_hash > ? AND +status IN (?, ?, ?) ORDER BY token_hash LIMIT ?"
)
"""A page of the live partners' token holders, in token-hash order (see ``live_token_holders``)."""


_WAL_HEADER = 96
"""Bytes of the WAL-index header: two copies of 48 bytes at the start of the ``-shm`` file."""


class _SharedMemory:
    """The database's ``-shm`` file (the WAL index) opened read-only, its first ``_WAL_HEADER`` bytes mapped.

    Its descriptors (the one opened here and the one the map keeps) are closed only by :meth:`close`, which the store
    calls after closing its SQLite connections. Closing any descriptor of a file drops every POSIX advisory lock the
    process holds on that file, whichever descriptor took it, and SQLite keeps its locks on the ``-shm`` file through
    a descriptor of its own: the shared lock that tells other processes a connection still uses the file, and the
    WAL read marks. Dropped early (as the store once did, closing its own descriptor right after mapping), another
    process opening the database found the file unused and reset it under this one's mapping: that worker died of
    SIGBUS at start-up (one start in a few with two workers), and a checkpoint could have overwritten WAL frames it
    was reading."""

    def __init__(self, path: str) -> None:
        self._fd = os.open(path, os.O_RDONLY)
        self.header: mmap.mmap | None = None
        """The mapped header (None: the file is shorter than the header)."""
        try:
            self.header = mmap.mmap(self._fd, _WAL_HEADER, access=mmap.ACCESS_READ)
        except (OSError, ValueError):
            self.header = None

    def close(self) -> None:
        """After the store's connections are closed (see the class)."""
        if self.header is not None:
            self.header.close()
        os.close(self._fd)


def _map_wal_index(path: str, db: sqlite3.Connection) -> tuple[_SharedMemory | None, mmap.mmap | None]:
    """The ``-shm`` file of the database ``db`` has open at ``path`` (to close after ``db``), and its WAL-index header
    when it is the one SQLite keeps: (None, None) when there is none to read (an in-memory database, or SQLite keeping
    the index elsewhere): the marker then asks data_version every time.

    SQLite names the file after the database's real path (symbolic links followed) and maps it itself for as long
    as any connection is open; it shrinks or empties it only when a connection opens it while no other has it open,
    which cannot happen while ``db`` is open (and the locks that say so are kept: see :class:`_SharedMemory`). Then a
    write of the store's own must move the mapped header: if it does not, this is not the file SQLite keeps (a
    leftover under another name), and trusting it would hide every other process's commits, so its header is not
    used."""
    if path == ":memory:" or path.startswith("file:"):
        return None, None
    try:
        shared = _SharedMemory(f"{os.path.realpath(path)}-shm")
    except OSError:  # no such file
        return None, None
    mapped = shared.header
    if mapped is None:
        return shared, None
    before = mapped[:_WAL_HEADER]
    with immediate(db):  # a write that changes no row commits nothing, so this one counts the openings
        db.execute("INSERT INTO wal_probe VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET opened = opened + 1")
    if mapped[:_WAL_HEADER] == before:
        return shared, None
    return shared, mapped


class SqliteStore(SqliteObjects, SqliteOutbox, SqliteCallbacks, SqliteDesk):
    """Store adapter on the standard library's sqlite3."""

    name = "sqlite"
    exact_marker = True

    def __init__(self, path: str) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None
        self._encode = msgspec.json.Encoder(enc_hook=enc_hook).encode
        self._decode = msgspec.json.Decoder(Partner, dec_hook=dec_hook).decode
        self._seen = (-1, -1)
        """``data_version`` and this connection's ``total_changes`` when the generation was last read."""
        self._generation = 0
        self._wal_index: mmap.mmap | None = None
        """The WAL-index header (``<database>-shm``) mapped read-only, when there is one (see change_marker)."""
        self._shared: _SharedMemory | None = None
        """The ``-shm`` file as this store opened it, closed only after the connections (see :class:`_SharedMemory`)."""
        self._wal_header = b""
        """The WAL-index header as it was when ``data_version`` was last read."""

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise RuntimeError("store is not open")
        return self._db

    async def open(self) -> None:
        if self._db is not None:
            return
        if self.path != ":memory:":
            private_file(Path(self.path))
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=10)
        wal = db.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal"
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA busy_timeout=10000")
        # Token lookups are random reads over the whole table: keep it in memory-mapped pages and a larger page
        # cache instead of a read syscall per miss (64 MiB each; SQLite maps lazily, unused space costs nothing).
        db.execute("PRAGMA mmap_size=67108864")
        db.execute("PRAGMA cache_size=-65536")
        db.execute("PRAGMA foreign_keys=ON")
        db.executescript(_SCHEMA)
        with immediate(db):
            _add_missing_columns(db)
        db.execute("CREATE INDEX IF NOT EXISTS partners_changed ON partners (changed)")
        # Counting the ACTIVE partners (health, and the caches of partners after every change, to catch a removal)
        # scanned the whole table: 52 to 75 ms with 200,000 partners, the process answering nothing meanwhile; 8 ms
        # from this index. It also holds list_partners' order, so a page of one status is read in order (a first page
        # of ACTIVE partners 8 ms -> 0.04 ms); an index of the status alone made the planner sort every match instead
        # (66 ms a page).
        db.execute("CREATE INDEX IF NOT EXISTS partners_status ON partners (status, created, partner_id)")
        db.executescript(DESK_SCHEMA)
        self._db = db
        if wal:
            self._shared, self._wal_index = _map_wal_index(self.path, db)
        self._open_objects()
        self._open_callbacks()

    async def close(self) -> None:
        self._close_objects()
        self._wal_index = None
        if self._db is not None:
            self._db.close()
            self._db = None
        if self._shared is not None:  # only now: closing it drops this process's locks on the file (see the class)
            self._shared.close()
            self._shared = None

    async def health(self) -> dict[str, object]:
        (count,) = self.db.execute("SELECT count(*) FROM partners WHERE status = 'ACTIVE'").fetchone()
        return {"backend": "sqlite", "active_partners": count}

    def change_marker(self) -> int:
        # The generation of partners and invitations (hub_changes, moved by triggers on every write to those two
        # tables, whoever writes) is read again only when something may have moved it: data_version moves when
        # another connection commits anything, total_changes when this one writes anything. Before, the marker was
        # data_version itself, so every process's caches were dropped each time another process renewed a lease or
        # wrote last-heard times (every few seconds): a 1,000-party hub with two workers re-read its tokens all the
        # time. And this process's own writes were counted by hand in the methods that make them, which two of them
        # (a new invitation, a token's first use) did not: the token index would not have seen them.
        #
        # data_version itself is only asked when the WAL-index header moved. Asking is a read transaction, which takes
        # and releases the WAL index's locks with fcntl calls; with two busy workers each call cost 17 µs, against 3 µs
        # in one quiet process, and the token index asks on every header a worker meets for the first time. Every
        # commit in WAL mode, by any connection of any process, rewrites that header (the frame count, checksums and
        # change counter; https://www.sqlite.org/walformat.html) before it returns, and the header lives in the
        # ``-shm`` file every connection maps. So while its 96 bytes (both copies) read the same as at the last
        # data_version, and this connection wrote nothing, no one committed: the generation is the one last read.
        # The store maps those bytes too and reads them: no lock and no system call (a pread cost 7 µs under the
        # same load). A torn read (a commit under way) reads as moved, which only costs the full look.
        db = self.db
        wal = self._wal_index
        header = wal[:_WAL_HEADER] if wal is not None else b""
        total = db.total_changes
        if header and header == self._wal_header and total == self._seen[1]:
            return int(self._generation)
        seen = (db.execute("PRAGMA data_version").fetchone()[0], total)
        if seen != self._seen:
            self._seen = seen
            self._generation = db.execute("SELECT generation FROM hub_changes WHERE id = 1").fetchone()[0]
        self._wal_header = header
        return int(self._generation)

    async def add_invitation(self, invitation: Invitation) -> None:
        self.db.execute(
            "INSERT INTO invitations (token_hash, created, used_by, label, expires) VALUES (?, ?, ?, ?, ?)",
            (
                invitation.token_hash,
                _ts(invitation.created),
                invitation.used_by,
                invitation.label,
                None if invitation.expires is None else _ts(invitation.expires),
            ),
        )

    async def lookup_token(self, token_hash: str) -> TokenOwner | None:
        row = self.db.execute(
            "SELECT doc FROM partners WHERE token_hash = ? AND status IN (?, ?, ?)", (token_hash, *_LIVE)
        ).fetchone()
        if row is not None:
            return TokenOwner(partner=self._decode(row[0]))
        row = self.db.execute(
            "SELECT created, label, expires FROM invitations WHERE token_hash = ? AND used_by IS NULL", (token_hash,)
        ).fetchone()
        if row is not None:
            return TokenOwner(invitation=_invitation(token_hash, *row))
        return None

    async def token_holders(self, token_hashes: Sequence[str]) -> dict[str, TokenHolder]:
        if not token_hashes:
            return {}
        params = [value for token_hash in token_hashes for value in (token_hash, *_LIVE)] + list(token_hashes)
        rows = self.db.execute(_holders_query(len(token_hashes)), params).fetchall()
        return holders_from_rows(rows, DateTime.parse)

    async def live_token_holders(self, after: str | None, limit: int) -> list[TokenHolder]:
        # ``+status``: the status term must not pick an index. Given the partners_status index, SQLite read every
        # live partner through it and sorted them all for each page (73 ms a page with 100,000 partners, 2.7 s of CPU
        # for a whole token index); along the token hashes' own index a page is a range read in order (9 ms).
        rows = self.db.execute(LIVE_HOLDERS, (after or "", *_LIVE, limit)).fetchall()
        return list(holders_from_rows(rows, DateTime.parse).values())

    def _write_keys(self, partner: Partner) -> None:
        self.db.execute("DELETE FROM party_keys WHERE partner_id = ?", (partner.partner_id,))
        if partner.status.value in _LIVE:
            self.db.executemany(
                "INSERT INTO party_keys (party_key, partner_id) VALUES (?, ?)",
                [(key, partner.partner_id) for key in partner.party_keys],
            )

    def _row(self, partner: Partner) -> tuple[object, ...]:
        return (
            partner.status.value,
            partner.token_hash,
            _ts(partner.created),
            _ts(partner.updated),
            self._encode(partner),
            partner.partner_id,
        )

    async def insert_partner(self, partner: Partner, *, consume_invitation: str | None) -> None:
        try:
            with immediate(self.db) as db:
                if consume_invitation is not None:
                    cur = db.execute(
                        "UPDATE invitations SET used_by = ? WHERE token_hash = ? AND used_by IS NULL",
                        (partner.partner_id, consume_invitation),
                    )
                    if cur.rowcount != 1:
                        raise Conflict("the registration token was used already")
                existing = db.execute(
                    "SELECT status FROM partners WHERE partner_id = ?", (partner.partner_id,)
                ).fetchone()
                if existing is not None and existing[0] != PartnerStatus.INACTIVE.value:
                    raise DuplicateParty(f"partner {partner.partner_id} is already registered")
                if existing is not None:
                    db.execute(
                        f"UPDATE partners SET status=?, token_hash=?, created=?, updated=?, doc=?, changed={_NEXT}"  # noqa: S608
                        " WHERE partner_id=?",
                        self._row(partner),
                    )
                else:
                    db.execute(
                        "INSERT INTO partners (status, token_hash, created, updated, doc, partner_id, changed)"  # noqa: S608
                        f" VALUES (?, ?, ?, ?, ?, ?, {_NEXT})",
                        self._row(partner),
                    )
                self._write_keys(partner)
        except sqlite3.IntegrityError as exc:
            raise DuplicateParty(self._which_duplicate(partner)) from exc

    def _which_duplicate(self, partner: Partner) -> str:
        for key in partner.party_keys:
            row = self.db.execute("SELECT partner_id FROM party_keys WHERE party_key = ?", (key,)).fetchone()
            if row is not None and row[0] != partner.partner_id:
                return f"party {key} is already registered by partner {row[0]}"
        return f"partner {partner.partner_id} or its token is already registered"

    async def replace_partner(self, partner: Partner, *, expected_token_hash: str | None) -> None:
        try:
            with immediate(self.db) as db:
                cur = db.execute(
                    f"UPDATE partners SET status=?, token_hash=?, created=?, updated=?, doc=?, changed={_NEXT}"  # noqa: S608
                    " WHERE partner_id=? AND token_hash IS ?",
                    (*self._row(partner), expected_token_hash),
                )
                if cur.rowcount != 1:
                    raise Conflict(f"partner {partner.partner_id} changed concurrently")
                self._write_keys(partner)
        except sqlite3.IntegrityError as exc:
            raise DuplicateParty(self._which_duplicate(partner)) from exc

    async def get_partner(self, partner_id: str) -> Partner | None:
        row = self.db.execute("SELECT doc FROM partners WHERE partner_id = ?", (partner_id,)).fetchone()
        return None if row is None else self._decode(row[0])

    async def list_partners(
        self,
        *,
        statuses: tuple[PartnerStatus, ...],
        date_from: DateTime | None = None,
        date_to: DateTime | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> Page[Partner]:
        where = [f"status IN ({', '.join('?' for _ in statuses)})"]
        params: list[object] = [s.value for s in statuses]
        if date_from is not None:
            where.append("updated >= ?")
            params.append(_ts(date_from))
        if date_to is not None:
            where.append("updated < ?")
            params.append(_ts(date_to))
        clause = " AND ".join(where)
        (total,) = self.db.execute(f"SELECT count(*) FROM partners WHERE {clause}", params).fetchone()  # noqa: S608
        rows = self.db.execute(
            f"SELECT doc FROM partners WHERE {clause} ORDER BY created, partner_id LIMIT ? OFFSET ?",  # noqa: S608
            [*params, -1 if limit is None else limit, offset],
        ).fetchall()
        return Page(total=total, items=[self._decode(r[0]) for r in rows])

    async def partners_changed(self, after: str | None) -> tuple[list[Partner], str]:
        # Exact, without a margin: every partner write takes the next number in its (serialised) write transaction, so
        # numbers follow commit order and nothing committed later can carry a number at or below one already read.
        if after:
            rows = self.db.execute(
                "SELECT changed, doc FROM partners WHERE changed > ? ORDER BY changed", (int(after),)
            ).fetchall()
        else:
            rows = self.db.execute("SELECT changed, doc FROM partners ORDER BY changed").fetchall()
        latest = rows[-1][0] if rows else int(after or 0)
        return decode_kept(self._decode, [r[1] for r in rows]), str(latest)

    async def party_owner(self, party_key: str) -> str | None:
        row = self.db.execute("SELECT partner_id FROM party_keys WHERE party_key = ?", (party_key,)).fetchone()
        return None if row is None else str(row[0])

    async def confirm_token(self, partner_id: str, token_hash: str) -> bool:
        with immediate(self.db) as db:
            row = db.execute(
                "SELECT doc FROM partners WHERE partner_id = ? AND token_hash = ?", (partner_id, token_hash)
            ).fetchone()
            if row is None:
                return False
            partner = self._decode(row[0])
            if not partner.token_confirmed:
                confirmed = msgspec.structs.replace(partner, token_confirmed=True)
                db.execute(
                    f"UPDATE partners SET doc = ?, changed = {_NEXT} WHERE partner_id = ?",  # noqa: S608
                    (self._encode(confirmed), partner_id),
                )
            return True

    async def set_offline(self, partner_id: str, offline: bool, updated: DateTime) -> Partner | None:
        with immediate(self.db) as db:
            row = db.execute(
                "SELECT doc FROM partners WHERE partner_id = ? AND status = ?", (partner_id, PartnerStatus.ACTIVE.value)
            ).fetchone()
            partner = None if row is None else self._decode(row[0])
            if partner is None or partner.offline == offline:
                return None
            changed = msgspec.structs.replace(partner, offline=offline, updated=updated)
            db.execute(
                f"UPDATE partners SET updated = ?, doc = ?, changed = {_NEXT} WHERE partner_id = ?",  # noqa: S608
                (_ts(updated), self._encode(changed), partner_id),
            )
        return changed

    async def delete_partner(self, partner_id: str) -> bool:
        stamp = now()
        with immediate(self.db) as db:
            db.execute("DELETE FROM party_keys WHERE partner_id = ?", (partner_id,))
            db.execute("DELETE FROM partner_heard WHERE partner_id = ?", (partner_id,))
            gone = db.execute("DELETE FROM partners WHERE partner_id = ?", (partner_id,)).rowcount
            if gone == 1:
                db.execute("INSERT INTO partner_removals (partner_id, removed) VALUES (?, ?)", (partner_id, _ts(stamp)))
                db.execute(
                    "DELETE FROM partner_removals WHERE removed < ?",
                    (_ts(DateTime.from_datetime(stamp - REMOVALS_KEPT)),),
                )
        return gone == 1

    async def partners_removed(self, after: str | None) -> tuple[list[str], str]:
        # Ordered like partners.changed: removals are written one at a time, so their numbers follow commit order.
        if not after:
            latest = self.db.execute("SELECT coalesce(max(seq), 0) FROM partner_removals").fetchone()[0]
            return [], str(latest)
        rows = self.db.execute(
            "SELECT seq, partner_id FROM partner_removals WHERE seq > ? ORDER BY seq", (int(after),)
        ).fetchall()
        return [str(r[1]) for r in rows], str(rows[-1][0] if rows else int(after))

    async def list_invitations(self, *, limit: int = 1000) -> list[Invitation]:
        rows = self.db.execute(
            "SELECT token_hash, created, label, expires FROM invitations WHERE used_by IS NULL"
            " ORDER BY created, token_hash LIMIT ?",
            (limit,),
        ).fetchall()
        return [_invitation(*r) for r in rows]

    async def revoke_invitation(self, token_hash: str) -> bool:
        cur = self.db.execute("DELETE FROM invitations WHERE token_hash = ? AND used_by IS NULL", (token_hash,))
        return bool(cur.rowcount == 1)

    async def take_lease(self, name: str, owner: str, now: DateTime, until: DateTime) -> bool:
        cur = self.db.execute(
            "INSERT INTO leases (name, owner, until) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET"
            " owner = excluded.owner, until = excluded.until WHERE leases.owner = excluded.owner OR leases.until < ?",
            (name, owner, _ts(until), _ts(now)),
        )
        return cur.rowcount == 1

    async def note_heard(self, heard: Mapping[str, DateTime]) -> None:
        if not heard:
            return
        texts: dict[int, str] = {}  # the liveness check shares one time among the partners heard in one second
        rows = []
        for partner_id, at in heard.items():
            text = texts.get(id(at))
            if text is None:
                text = texts[id(at)] = _ts(at)
            rows.append((partner_id, text))
        with immediate(self.db) as db:
            db.executemany(
                "INSERT INTO partner_heard (partner_id, heard) VALUES (?, ?) ON CONFLICT (partner_id) DO UPDATE"
                " SET heard = max(heard, excluded.heard)",
                rows,
            )

    async def heard_times(self) -> dict[str, DateTime]:
        # The processes write times to the second, one per second (``Liveness.share_heard``): each text is parsed
        # once, not once per partner (100,000 parses cost the lease holder 0.3 s per still-alive round). In pages of
        # HEARD_PAGE (see there).
        parsed: dict[str, DateTime] = {}
        heard: dict[str, DateTime] = {}
        after = ""
        while True:
            rows = self.db.execute(
                "SELECT partner_id, heard FROM partner_heard WHERE partner_id > ? ORDER BY partner_id LIMIT ?",
                (after, HEARD_PAGE),
            ).fetchall()
            for partner_id, text in rows:
                at = parsed.get(text)
                if at is None:
                    at = parsed[text] = DateTime.parse(text)
                heard[partner_id] = at
            if len(rows) < HEARD_PAGE:
                return heard
            after = rows[-1][0]
            await asyncio.sleep(0)


__all__ = ("SqliteStore", "private_file")
