"""The SQLite side of the ObjectStore (mixed into :class:`~reference_hub.store.sqlite.SqliteStore`).

Table ``objects``: ``seq`` (INTEGER PRIMARY KEY, i.e. the rowid) gives creation order and is kept when an object is
replaced; the key (module, owner, object_id) is unique. Single-object reads and writes are indexed single-row
statements and run on the event-loop connection like the partner statements.

Pages are different: a GET-all at offset 99,900 of 100,000 objects must not read 99,900 objects, and must not hold
the event loop while it counts. ``objects_page`` is a covering index on (module, seq, last_updated, owner, audience):
the filter, the count and the skip over ``offset`` entries are answered from that index alone (SQLite reports
``USING COVERING INDEX``), and only the ``limit`` rows of the page are then read by ``seq``. Both statements run in
one worker thread on a read-only connection of its own, so other requests go on while a page is assembled (WAL
readers never block the writer). A ``:memory:`` database has no second connection and reads on the loop.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from reference_hub.ocpi.datetime import DateTime, sortable
from reference_hub.store.base import Conflict
from reference_hub.store.objects import ObjectQuery, StoredObject
from reference_hub.store.outbox import Delivery
from reference_hub.store.page import Page
from reference_hub.store.sqlite_outbox import INSERT_DELIVERY, create_outbox, delivery_rows
from reference_hub.store.sqlite_tx import immediate

OBJECTS_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    seq          INTEGER PRIMARY KEY,
    module       TEXT NOT NULL,
    owner        TEXT NOT NULL,
    object_id    TEXT NOT NULL,
    partner_id   TEXT NOT NULL,
    audience     TEXT,
    last_updated TEXT NOT NULL,
    created      TEXT NOT NULL,
    version      INTEGER NOT NULL,
    body         BLOB NOT NULL,
    UNIQUE (module, object_id, owner)
);
CREATE INDEX IF NOT EXISTS objects_page ON objects (module, seq, last_updated, owner, audience);
"""

_COLUMNS = "module, owner, object_id, partner_id, audience, last_updated, created, version, body"

# `+seq`: order the few matches afterwards. A plain ORDER BY seq lets the planner walk objects_page (module, seq, ...)
# through every object of the module instead of looking the id up: a real-time authorization among a million tokens
# would read them all.
FIND_BY_ID = f"SELECT {_COLUMNS} FROM objects WHERE module = ? AND object_id = ? ORDER BY +seq LIMIT ?"  # noqa: S608
# The same look-up answered from the unique index alone ((module, object_id, owner) holds the rowid, seq, too): the
# table's row, with its body, is never read. The rows are put in seq order in Python, not by ORDER BY: an id nearly
# always has one owner, and SQLite's ORDER BY builds a temporary B-tree for each look-up, which inside a busy hub
# process cost 8 of the look-up's 29 µs (real-time authorization makes one per request).
FIND_OWNERS = "SELECT seq, owner FROM objects WHERE module = ? AND object_id = ?"


def _ts(value: DateTime) -> str:
    return sortable(value)


def _record(row: tuple[Any, ...]) -> StoredObject:
    module, owner, object_id, partner_id, audience, last_updated, created, version, body = row
    return StoredObject(
        module=module,
        owner=owner,
        object_id=object_id,
        partner_id=partner_id,
        audience=audience,
        last_updated=DateTime.parse(last_updated),
        created=DateTime.parse(created),
        version=version,
        body=bytes(body),
    )


def _where(query: ObjectQuery) -> tuple[str, list[object]]:
    where: list[str] = ["module = ?"]
    params: list[object] = [query.module]
    if query.date_from is not None:
        where.append("last_updated >= ?")
        params.append(_ts(query.date_from))
    if query.date_to is not None:
        where.append("last_updated < ?")
        params.append(_ts(query.date_to))
    if query.owners is not None:
        where.append(f"owner IN ({', '.join('?' * len(query.owners)) or 'NULL'})")
        params.extend(query.owners)
    if query.readers is not None:
        marks = ", ".join("?" * len(query.readers)) or "NULL"
        where.append(f"(owner IN ({marks}) OR audience IN ({marks}))")
        params.extend([*query.readers, *query.readers])
    return " AND ".join(where), params


_COUNTS_KEPT = 512


def read_page(
    db: sqlite3.Connection, query: ObjectQuery, counts: dict[tuple[object, ...], tuple[int, int]] | None = None
) -> Page[StoredObject]:
    """Count from the covering index, skip inside it, then read only the page's rows (any thread).

    ``counts``: remembered totals of a read-only connection, each with the database's ``data_version`` it was counted
    at. Any commit by another connection changes that number, so a remembered total is used only while nothing at all
    was written since; a list paged through while nobody writes costs one count (over 100,000 objects, about as much
    as the rest of the page). Never pass it for a connection that writes itself (its own commits do not change it).
    """
    clause, params = _where(query)
    key = (clause, *params)
    version = -1
    if counts is not None:
        (version,) = db.execute("PRAGMA data_version").fetchone()
        known = counts.get(key)
        total = known[1] if known is not None and known[0] == version else None
    else:
        total = None
    if total is None:
        (total,) = db.execute(f"SELECT count(*) FROM objects INDEXED BY objects_page WHERE {clause}", params).fetchone()  # noqa: S608
        if counts is not None:
            if len(counts) >= _COUNTS_KEPT:
                counts.clear()
            counts[key] = (version, total)
    limit = -1 if query.limit is None else query.limit
    if limit == 0 or query.offset >= total:
        return Page(total=total, items=[])
    seqs = [
        row[0]
        for row in db.execute(
            f"SELECT seq FROM objects INDEXED BY objects_page WHERE {clause} ORDER BY seq LIMIT ? OFFSET ?",  # noqa: S608
            [*params, limit, query.offset],
        )
    ]
    if not seqs:
        return Page(total=total, items=[])
    rows = db.execute(
        f"SELECT {_COLUMNS} FROM objects WHERE seq IN ({', '.join('?' * len(seqs))}) ORDER BY seq",  # noqa: S608
        seqs,
    ).fetchall()
    return Page(total=total, items=[_record(r) for r in rows])


class SqliteObjects:
    """ObjectStore methods; the host class provides ``db`` (the loop connection) and ``path``."""

    path: str
    _reader: ThreadPoolExecutor | None = None
    _reader_db: sqlite3.Connection | None = None
    _counts: dict[tuple[object, ...], tuple[int, int]]
    """Totals the page reader counted, by query and data_version (see read_page)."""

    @property
    def db(self) -> sqlite3.Connection:
        raise NotImplementedError

    def _open_objects(self) -> None:
        self.db.executescript(OBJECTS_SCHEMA)
        create_outbox(self.db)
        if self.path != ":memory:":
            self._reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-pages")

    def _close_objects(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.submit(self._close_reader).result()
            reader.shutdown(wait=True)

    def _close_reader(self) -> None:
        if self._reader_db is not None:
            self._reader_db.close()
            self._reader_db = None

    def _read_page_in_thread(self, query: ObjectQuery) -> Page[StoredObject]:
        if self._reader_db is None:
            self._reader_db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=10)
            self._reader_db.execute("PRAGMA busy_timeout=10000")
            self._counts = {}
        return read_page(self._reader_db, query, self._counts)

    async def get_object(self, module: str, owner: str, object_id: str) -> StoredObject | None:
        row = self.db.execute(
            f"SELECT {_COLUMNS} FROM objects WHERE module = ? AND object_id = ? AND owner = ?",  # noqa: S608
            (module, object_id, owner),
        ).fetchone()
        return None if row is None else _record(row)

    async def find_objects(self, module: str, object_id: str, *, limit: int = 2) -> list[StoredObject]:
        rows = self.db.execute(FIND_BY_ID, (module, object_id, limit)).fetchall()
        return [_record(r) for r in rows]

    async def find_owners(self, module: str, object_id: str, *, limit: int = 2) -> list[str]:
        rows = self.db.execute(FIND_OWNERS, (module, object_id)).fetchall()
        if len(rows) > 1:
            rows.sort()  # by seq, unique
        return [owner for _, owner in rows[:limit]]

    async def write_object(
        self, obj: StoredObject, *, expected_version: int | None, deliveries: Sequence[Delivery] = ()
    ) -> None:
        values = (
            obj.partner_id,
            obj.audience,
            _ts(obj.last_updated),
            _ts(obj.created),
            obj.version,
            obj.body,
        )
        with immediate(self.db) as db:
            if expected_version is None:
                try:
                    db.execute(
                        f"INSERT INTO objects ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
                        (obj.module, obj.owner, obj.object_id, *values),
                    )
                except sqlite3.IntegrityError as exc:
                    raise Conflict(f"{obj.module} {obj.owner} {obj.object_id} exists already") from exc
            else:
                cur = db.execute(
                    "UPDATE objects SET partner_id = ?, audience = ?, last_updated = ?, created = ?, version = ?,"
                    " body = ? WHERE module = ? AND object_id = ? AND owner = ? AND version = ?",
                    (*values, obj.module, obj.object_id, obj.owner, expected_version),
                )
                if cur.rowcount != 1:
                    raise Conflict(f"{obj.module} {obj.owner} {obj.object_id} changed concurrently")
            if deliveries:
                db.executemany(INSERT_DELIVERY, delivery_rows(deliveries))

    async def insert_objects(self, objs: list[StoredObject]) -> None:
        rows = [
            (
                o.module,
                o.owner,
                o.object_id,
                o.partner_id,
                o.audience,
                _ts(o.last_updated),
                _ts(o.created),
                o.version,
                o.body,
            )
            for o in objs
        ]
        try:
            with immediate(self.db) as db:
                db.executemany(f"INSERT INTO objects ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)  # noqa: S608
        except sqlite3.IntegrityError as exc:
            raise Conflict("one of the objects exists already") from exc

    async def delete_object(
        self, module: str, owner: str, object_id: str, *, deliveries: Sequence[Delivery] = ()
    ) -> bool:
        with immediate(self.db) as db:
            cur = db.execute(
                "DELETE FROM objects WHERE module = ? AND object_id = ? AND owner = ?", (module, object_id, owner)
            )
            if cur.rowcount == 1 and deliveries:
                db.executemany(INSERT_DELIVERY, delivery_rows(deliveries))
        return cur.rowcount == 1

    async def object_modules(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT DISTINCT module FROM objects ORDER BY module")]

    async def object_counts(self) -> list[tuple[str, str, int]]:
        rows = self.db.execute(
            "SELECT module, owner, count(*) FROM objects GROUP BY module, owner ORDER BY module, owner"
        ).fetchall()
        return [(r[0], r[1], r[2]) for r in rows]

    async def search_objects(self, key: str, *, limit: int = 20) -> list[StoredObject]:
        found: list[StoredObject] = []
        for module in await self.object_modules():
            rows = self.db.execute(
                f"SELECT {_COLUMNS} FROM objects WHERE module = ? AND (object_id = ?"  # noqa: S608
                " OR (object_id >= ? AND object_id < ?)) ORDER BY +seq LIMIT ?",
                (module, key, key + "\t", key + "\n", limit),
            ).fetchall()
            found += [_record(r) for r in rows]
        return sorted(found, key=lambda o: o.created)[:limit]

    async def list_objects(self, query: ObjectQuery) -> Page[StoredObject]:
        if self._reader is None:
            return read_page(self.db, query)
        return await asyncio.get_running_loop().run_in_executor(self._reader, self._read_page_in_thread, query)


__all__ = ("OBJECTS_SCHEMA", "SqliteObjects", "read_page")
