"""Which async PostgreSQL driver for the hub's store: asyncpg or psycopg 3, measured on the store's own statements.

``python tools/pg_drivers.py`` starts a throwaway cluster (loadtests/postgres.py), fills one database per driver with
the same data (10,000 partners, 20,000 Locations of about 1 KB) and runs, per driver, on uvloop, each workload with
32 concurrent tasks over a pool of 8 connections (what one hub worker does under load):

- ``token lookup``: the token-validation miss path, one partner by token hash;
- ``object + outbox``: a conditional object update and four outbox rows in one transaction (a broadcast push);
- ``claim + done``: lease 64 due deliveries (``FOR UPDATE SKIP LOCKED``) and delete them one by one;
- ``page of 100``: a GET-all page of 100 Locations with their bodies.

It prints operations per second per driver and the ratio, each workload run twice in alternating order (best of
two). Both drivers are used as their documentation shows (asyncpg's pool; psycopg's ``AsyncConnectionPool``, which
prepares a statement after its fifth use). Needs the dev extras and ``psycopg[binary]``, ``psycopg-pool``.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import uvloop

from loadtests.postgres import throwaway_cluster

SCHEMA = """
CREATE TABLE partners (partner_id text PRIMARY KEY, status text NOT NULL, token_hash text UNIQUE,
    created timestamptz NOT NULL, updated timestamptz NOT NULL, doc bytea NOT NULL);
CREATE TABLE objects (seq bigserial PRIMARY KEY, module text NOT NULL, owner text NOT NULL, object_id text NOT NULL,
    partner_id text NOT NULL, audience text, last_updated timestamptz NOT NULL, created timestamptz NOT NULL,
    version integer NOT NULL, body bytea NOT NULL, UNIQUE (module, object_id, owner));
CREATE INDEX objects_page ON objects (module, seq) INCLUDE (last_updated, owner, audience);
CREATE TABLE deliveries (seq bigserial PRIMARY KEY, delivery_id text NOT NULL UNIQUE, receiver text NOT NULL,
    stream text NOT NULL, method text NOT NULL, url text NOT NULL, headers text NOT NULL, body bytea,
    created timestamptz NOT NULL, due timestamptz NOT NULL, attempts integer NOT NULL, state text NOT NULL,
    last_error text, lease_owner text, lease_until timestamptz);
CREATE INDEX deliveries_pending ON deliveries (seq) WHERE state = 'PENDING';
"""

PARTNERS, OBJECTS, CONCURRENCY, POOL = 10_000, 20_000, 32, 8
BODY = b'{"id": "%d", "name": "' + b"x" * 900 + b'"}'
LOOKUP = "SELECT doc FROM partners WHERE token_hash = $1 AND status = ANY($2::text[])"
UPDATE = (
    "UPDATE objects SET version = version + 1, last_updated = $1, body = $2"
    " WHERE module = 'locations' AND owner = 'NL/CPO' AND object_id = $3"
)
INSERT_DELIVERY = (
    "INSERT INTO deliveries (delivery_id, receiver, stream, method, url, headers, body, created, due, attempts, state)"
    " VALUES ($1, $2, $3, 'PUT', 'http://127.0.0.1/x', '[]', $4, $5, $6, 0, 'PENDING')"
)
CLAIM = (
    "UPDATE deliveries SET lease_owner = $1, lease_until = $2 WHERE seq IN (SELECT seq FROM deliveries"
    " WHERE state = 'PENDING' AND due <= $3 AND (lease_until IS NULL OR lease_until < $4)"
    " ORDER BY seq LIMIT 64 FOR UPDATE SKIP LOCKED) RETURNING delivery_id, body"
)
DELETE = "DELETE FROM deliveries WHERE delivery_id = $1 AND lease_owner = $2"
PAGE = (
    "SELECT object_id, body, last_updated FROM objects WHERE seq IN (SELECT seq FROM objects"
    " WHERE module = 'locations' ORDER BY seq OFFSET $1 LIMIT 100) ORDER BY seq"
)


def _psycopg(sql: str) -> str:
    """psycopg's placeholders are %s (asyncpg's are $n; every statement here uses each parameter once, in order)."""
    out = sql
    for n in range(9, 0, -1):
        out = out.replace(f"${n}", "%s")
    return out


def _hash(n: int) -> str:
    return hashlib.sha256(f"token-{n}".encode()).hexdigest()


async def _fill(execute_many: Callable[[str, list[tuple[Any, ...]]], Awaitable[None]], p: Callable[[str], str]) -> None:
    stamp = datetime.now(UTC)
    await execute_many(
        p("INSERT INTO partners VALUES ($1, 'ACTIVE', $2, $3, $4, $5)"),
        [(f"P{n}", _hash(n), stamp, stamp, b"{" + b'"x": 1, ' * 60 + b"}") for n in range(PARTNERS)],
    )
    await execute_many(
        p(
            "INSERT INTO objects (module, owner, object_id, partner_id, last_updated, created, version, body)"
            " VALUES ('locations', 'NL/CPO', $1, 'NL-CPO', $2, $3, 1, $4)"
        ),
        [(f"L{n}", stamp, stamp, BODY % n) for n in range(OBJECTS)],
    )


async def _run(tasks: int, op: Callable[[int], Awaitable[None]], per_task: int) -> float:
    async def worker(w: int) -> None:
        for i in range(per_task):
            await op(w * per_task + i)

    started = time.perf_counter()
    await asyncio.gather(*(worker(w) for w in range(tasks)))
    return tasks * per_task / (time.perf_counter() - started)


class AsyncpgDriver:
    name = "asyncpg"

    def __init__(self, url: str) -> None:
        self.url = url

    async def __aenter__(self) -> AsyncpgDriver:
        import asyncpg

        self.pool = await asyncpg.create_pool(self.url, min_size=POOL, max_size=POOL)
        async with self.pool.acquire() as conn:
            await conn.execute(SCHEMA)
            await _fill(conn.executemany, lambda s: s)
            await conn.execute("VACUUM ANALYZE")
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.pool.close()

    async def lookup(self, i: int) -> None:
        await self.pool.fetchrow(LOOKUP, _hash(i % PARTNERS), ["PENDING", "ACTIVE", "SUSPENDED"])

    async def write(self, i: int) -> None:
        stamp = datetime.now(UTC)
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(UPDATE, stamp, BODY % i, f"L{i % OBJECTS}")
            await conn.executemany(
                INSERT_DELIVERY, [(secrets.token_hex(16), f"R{r}", f"R{r}|L{i}", BODY, stamp, stamp) for r in range(4)]
            )

    async def claim(self, i: int) -> None:
        stamp = datetime.now(UTC)
        owner = f"w{i}"
        rows = await self.pool.fetch(CLAIM, owner, stamp, stamp, stamp)
        for row in rows:
            await self.pool.execute(DELETE, row["delivery_id"], owner)

    async def page(self, i: int) -> None:
        await self.pool.fetch(PAGE, (i * 100) % (OBJECTS - 100))


class PsycopgDriver:
    name = "psycopg"

    def __init__(self, url: str) -> None:
        self.url = url

    async def __aenter__(self) -> PsycopgDriver:
        from psycopg_pool import AsyncConnectionPool

        self.pool = AsyncConnectionPool(self.url, min_size=POOL, max_size=POOL, open=False)
        await self.pool.open()
        async with self.pool.connection() as conn:
            await conn.execute(SCHEMA)
            async with conn.cursor() as cur:
                await _fill(cur.executemany, _psycopg)
            await conn.commit()
            await conn.set_autocommit(True)
            await conn.execute("VACUUM ANALYZE")
            await conn.set_autocommit(False)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.pool.close()

    async def lookup(self, i: int) -> None:
        async with self.pool.connection() as conn:
            cur = await conn.execute(_psycopg(LOOKUP), (_hash(i % PARTNERS), ["PENDING", "ACTIVE", "SUSPENDED"]))
            await cur.fetchone()

    async def write(self, i: int) -> None:
        stamp = datetime.now(UTC)
        async with self.pool.connection() as conn, conn.transaction():
            await conn.execute(_psycopg(UPDATE), (stamp, BODY % i, f"L{i % OBJECTS}"))
            async with conn.cursor() as cur:
                await cur.executemany(
                    _psycopg(INSERT_DELIVERY),
                    [(secrets.token_hex(16), f"R{r}", f"R{r}|L{i}", BODY, stamp, stamp) for r in range(4)],
                )

    async def claim(self, i: int) -> None:
        stamp = datetime.now(UTC)
        owner = f"w{i}"
        async with self.pool.connection() as conn:
            cur = await conn.execute(_psycopg(CLAIM), (owner, stamp, stamp, stamp))
            rows = await cur.fetchall()
            await conn.commit()
            for delivery_id, _body in rows:
                await conn.execute(_psycopg(DELETE), (delivery_id, owner))
                await conn.commit()

    async def page(self, i: int) -> None:
        async with self.pool.connection() as conn:
            cur = await conn.execute(_psycopg(PAGE), ((i * 100) % (OBJECTS - 100),))
            await cur.fetchall()


WORKLOADS = {"token lookup": ("lookup", 400), "object + outbox": ("write", 60), "claim + done": ("claim", 4),
             "page of 100": ("page", 40)}  # fmt: skip


async def measure(urls: dict[str, str]) -> dict[str, dict[str, float]]:
    drivers = {"asyncpg": AsyncpgDriver(urls["asyncpg"]), "psycopg": PsycopgDriver(urls["psycopg"])}
    results: dict[str, dict[str, float]] = {name: {} for name in drivers}
    async with drivers["asyncpg"] as a, drivers["psycopg"] as p:
        opened = {"asyncpg": a, "psycopg": p}
        for label, (method, per_task) in WORKLOADS.items():
            for order in (("asyncpg", "psycopg"), ("psycopg", "asyncpg")):
                for name in order:
                    rate = await _run(CONCURRENCY, getattr(opened[name], method), per_task)
                    results[name][label] = max(results[name].get(label, 0.0), rate)
    return results


def main() -> None:
    with throwaway_cluster() as cluster:
        urls = {name: cluster.create_database(f"drivers_{name}") for name in ("asyncpg", "psycopg")}
        results = uvloop.run(measure(urls))
    print(f"| workload ({CONCURRENCY} tasks, pool of {POOL}) | asyncpg ops/s | psycopg ops/s | asyncpg / psycopg |")
    print("|---|---:|---:|---:|")
    for label in WORKLOADS:
        a, p = results["asyncpg"][label], results["psycopg"][label]
        print(f"| {label} | {a:,.0f} | {p:,.0f} | {a / p:.2f} |")


if __name__ == "__main__":
    main()
