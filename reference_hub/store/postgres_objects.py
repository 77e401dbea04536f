"""The PostgreSQL side of the ObjectStore (mixed into :class:`~reference_hub.store.postgres.PostgresStore`).

Table ``objects``: ``seq`` (an identity column) gives creation order and is kept when an object is replaced; the key
(module, object_id, owner) is unique. A write and the outbox rows it causes commit in one transaction; a replace
is conditional on ``version``.

Pages: ``objects_page`` is (module, seq) with last_updated, owner and audience carried in the index (``INCLUDE``).
The count, the filters and the skip over ``offset`` entries are index-only scans of it (no table rows are read for
rows the page does not return, once autovacuum has marked the table's pages all-visible, which it does on its own
after bulk inserts), and only the page's rows are then fetched by ``seq``; a test reads the plan. Every call
awaits the server, so a large page never holds the event loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

from reference_hub.store.base import Conflict
from reference_hub.store.objects import ObjectQuery, StoredObject
from reference_hub.store.outbox import Delivery
from reference_hub.store.page import Page
from reference_hub.store.postgres_outbox import Params, as_datetime, insert_deliveries, rowcount

_COLUMNS = "module, owner, object_id, partner_id, audience, last_updated, created, version, body"
_COLUMN_LIST = [c.strip() for c in _COLUMNS.split(",")]

VACUUM_AFTER = 10_000
"""Objects inserted in one bulk write after which the table is vacuumed and analysed at once."""

FIND_BY_ID = f"SELECT {_COLUMNS} FROM objects WHERE module = $1 AND object_id = $2 ORDER BY seq LIMIT $3"  # noqa: S608
FIND_OWNERS = "SELECT owner FROM objects WHERE module = $1 AND object_id = $2 ORDER BY seq LIMIT $3"
"""Only the owner column: no body crosses the connection and no record is built."""


def _record(row: Sequence[Any]) -> StoredObject:
    module, owner, object_id, partner_id, audience, last_updated, created, version, body = row
    return StoredObject(
        module=module,
        owner=owner,
        object_id=object_id,
        partner_id=partner_id,
        audience=audience,
        last_updated=as_datetime(last_updated),
        created=as_datetime(created),
        version=version,
        body=body,
    )


def page_where(query: ObjectQuery, p: Params) -> str:
    """The filter of a GET-all, on columns ``objects_page`` carries."""
    where = [f"module = {p.add(query.module)}"]
    if query.date_from is not None:
        where.append(f"last_updated >= {p.add(query.date_from)}")
    if query.date_to is not None:
        where.append(f"last_updated < {p.add(query.date_to)}")
    if query.owners is not None:
        where.append(f"owner = ANY({p.add(list(query.owners))}::text[])")
    if query.readers is not None:
        readers = p.add(list(query.readers))
        where.append(f"(owner = ANY({readers}::text[]) OR audience = ANY({readers}::text[]))")
    return " AND ".join(where)


def page_statements(query: ObjectQuery) -> tuple[str, str, list[Any]]:
    """The count and the page statements of a query, with their parameters (the page's are the count's plus limit
    and offset)."""
    p = Params()
    clause = page_where(query, p)
    count = f"SELECT count(*) FROM objects WHERE {clause}"  # noqa: S608
    limit, offset = p.add(query.limit), p.add(query.offset)
    page = (
        f"SELECT {_COLUMNS} FROM objects WHERE seq IN ("  # noqa: S608
        f"SELECT seq FROM objects WHERE {clause} ORDER BY seq LIMIT {limit} OFFSET {offset}) ORDER BY seq"
    )
    return count, page, p.values


class PostgresObjects:
    """ObjectStore methods; the host class provides ``pool``."""

    @property
    def pool(self) -> asyncpg.Pool:
        raise NotImplementedError

    async def get_object(self, module: str, owner: str, object_id: str) -> StoredObject | None:
        row = await self.pool.fetchrow(
            f"SELECT {_COLUMNS} FROM objects WHERE module = $1 AND object_id = $2 AND owner = $3",  # noqa: S608
            module,
            object_id,
            owner,
        )
        return None if row is None else _record(row)

    async def find_objects(self, module: str, object_id: str, *, limit: int = 2) -> list[StoredObject]:
        return [_record(r) for r in await self.pool.fetch(FIND_BY_ID, module, object_id, limit)]

    async def find_owners(self, module: str, object_id: str, *, limit: int = 2) -> list[str]:
        return [r[0] for r in await self.pool.fetch(FIND_OWNERS, module, object_id, limit)]

    async def write_object(
        self, obj: StoredObject, *, expected_version: int | None, deliveries: Sequence[Delivery] = ()
    ) -> None:
        values = (obj.partner_id, obj.audience, obj.last_updated, obj.created, obj.version, obj.body)
        async with self.pool.acquire() as connection, connection.transaction():
            if expected_version is None:
                try:
                    await connection.execute(
                        f"INSERT INTO objects ({_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",  # noqa: S608
                        obj.module,
                        obj.owner,
                        obj.object_id,
                        *values,
                    )
                except asyncpg.UniqueViolationError as exc:
                    raise Conflict(f"{obj.module} {obj.owner} {obj.object_id} exists already") from exc
            else:
                status = await connection.execute(
                    "UPDATE objects SET partner_id = $1, audience = $2, last_updated = $3, created = $4,"
                    " version = $5, body = $6 WHERE module = $7 AND object_id = $8 AND owner = $9 AND version = $10",
                    *values,
                    obj.module,
                    obj.object_id,
                    obj.owner,
                    expected_version,
                )
                if rowcount(status) != 1:
                    raise Conflict(f"{obj.module} {obj.owner} {obj.object_id} changed concurrently")
            await insert_deliveries(connection, deliveries)

    async def insert_objects(self, objs: list[StoredObject]) -> None:
        """One COPY in one transaction: all or nothing, and fast enough for seeding a million tokens. A large batch
        is followed by what autovacuum would do within a minute or so (statistics, visibility map), so pages over
        freshly seeded objects are index-only scans at once."""
        records = [
            (o.module, o.owner, o.object_id, o.partner_id, o.audience, o.last_updated, o.created, o.version, o.body)
            for o in objs
        ]
        async with self.pool.acquire() as connection:
            try:
                async with connection.transaction():
                    await connection.copy_records_to_table("objects", records=records, columns=_COLUMN_LIST)
            except asyncpg.UniqueViolationError as exc:
                raise Conflict("one of the objects exists already") from exc
            if len(records) >= VACUUM_AFTER:
                await connection.execute("VACUUM (ANALYZE) objects")

    async def delete_object(
        self, module: str, owner: str, object_id: str, *, deliveries: Sequence[Delivery] = ()
    ) -> bool:
        async with self.pool.acquire() as connection, connection.transaction():
            status = await connection.execute(
                "DELETE FROM objects WHERE module = $1 AND object_id = $2 AND owner = $3", module, object_id, owner
            )
            gone = rowcount(status) == 1
            if gone:
                await insert_deliveries(connection, deliveries)
        return gone

    async def list_objects(self, query: ObjectQuery) -> Page[StoredObject]:
        count, page, params = page_statements(query)
        async with self.pool.acquire() as connection:
            total = await connection.fetchval(count, *params[:-2])
            if query.limit == 0 or query.offset >= total:
                return Page(total=total, items=[])
            rows = await connection.fetch(page, *params)
        return Page(total=total, items=[_record(r) for r in rows])

    async def object_modules(self) -> list[str]:
        rows = await self.pool.fetch(
            "WITH RECURSIVE m AS (SELECT min(module) AS module FROM objects UNION ALL"
            " SELECT (SELECT min(module) FROM objects WHERE module > m.module) FROM m WHERE m.module IS NOT NULL)"
            " SELECT module FROM m WHERE module IS NOT NULL"
        )
        return [r[0] for r in rows]

    async def object_counts(self) -> list[tuple[str, str, int]]:
        rows = await self.pool.fetch(
            "SELECT module, owner, count(*) FROM objects GROUP BY module, owner ORDER BY module, owner"
        )
        return [(r[0], r[1], r[2]) for r in rows]

    async def search_objects(self, key: str, *, limit: int = 20) -> list[StoredObject]:
        rows = await self.pool.fetch(
            f"SELECT {_COLUMNS} FROM objects WHERE module = ANY($1::text[]) AND (object_id = $2"  # noqa: S608
            " OR starts_with(object_id, $3)) ORDER BY seq LIMIT $4",
            await self.object_modules(),
            key,
            key + "\t",
            limit,
        )
        return [_record(r) for r in rows]


__all__ = ("FIND_BY_ID", "FIND_OWNERS", "PostgresObjects", "page_statements")
