"""The PostgreSQL side of the operators' desk (mixed into :class:`~reference_hub.store.postgres.PostgresStore`);
its tables come with schema migration 3 (``postgres_schema.py``)."""

from __future__ import annotations

from typing import Any

import asyncpg

from reference_hub.ocpi.datetime import DateTime
from reference_hub.store.base import Conflict
from reference_hub.store.desk import (
    AuditEntry,
    HealthMark,
    KeptExchange,
    Operator,
    OperatorRole,
    decode_exchange,
    encode_exchange,
)
from reference_hub.store.page import Page
from reference_hub.store.postgres_outbox import as_datetime, rowcount


def _operator(row: Any) -> Operator:
    return Operator(name=row[0], role=OperatorRole(row[1]), password_hash=row[2], created=as_datetime(row[3]))


class PostgresDesk:
    """Desk methods; the host class provides ``pool``."""

    @property
    def pool(self) -> asyncpg.Pool:
        raise NotImplementedError

    async def add_operator(self, operator: Operator) -> None:
        try:
            await self.pool.execute(
                "INSERT INTO operators (name, role, password_hash, created) VALUES ($1, $2, $3, $4)",
                operator.name,
                operator.role.value,
                operator.password_hash,
                operator.created,
            )
        except asyncpg.UniqueViolationError as exc:
            raise Conflict(f"there is an operator {operator.name!r} already") from exc

    async def get_operator(self, name: str) -> Operator | None:
        row = await self.pool.fetchrow("SELECT name, role, password_hash, created FROM operators WHERE name = $1", name)
        return None if row is None else _operator(row)

    async def list_operators(self) -> list[Operator]:
        rows = await self.pool.fetch("SELECT name, role, password_hash, created FROM operators ORDER BY name")
        return [_operator(r) for r in rows]

    async def remove_operator(self, name: str) -> bool:
        return rowcount(await self.pool.execute("DELETE FROM operators WHERE name = $1", name)) == 1

    async def add_audit(self, entry: AuditEntry) -> None:
        await self.pool.execute(
            "INSERT INTO audit (at, operator, action, subject, detail) VALUES ($1, $2, $3, $4, $5)",
            entry.at,
            entry.operator,
            entry.action,
            entry.subject,
            entry.detail,
        )

    async def list_audit(self, *, offset: int = 0, limit: int = 50, subject: str | None = None) -> Page[AuditEntry]:
        columns = "SELECT at, operator, action, subject, detail FROM audit"
        async with self.pool.acquire() as connection:
            if subject is None:
                total = await connection.fetchval("SELECT count(*) FROM audit")
                rows = await connection.fetch(f"{columns} ORDER BY seq DESC LIMIT $1 OFFSET $2", limit, offset)
            else:
                total = await connection.fetchval("SELECT count(*) FROM audit WHERE subject = $1", subject)
                rows = await connection.fetch(
                    f"{columns} WHERE subject = $1 ORDER BY seq DESC LIMIT $2 OFFSET $3", subject, limit, offset
                )
        entries = [
            AuditEntry(at=as_datetime(r[0]), operator=r[1], action=r[2], subject=r[3], detail=r[4]) for r in rows
        ]
        return Page(total=total, items=entries)

    async def keep_exchange(self, exchange: KeptExchange) -> None:
        await self.pool.execute(
            "INSERT INTO exchanges (request_id, at, object_ref, expires, doc) VALUES ($1, $2, $3, $4, $5)"
            " ON CONFLICT (request_id) DO UPDATE SET at = EXCLUDED.at, object_ref = EXCLUDED.object_ref,"
            " expires = EXCLUDED.expires, doc = EXCLUDED.doc",
            exchange.request_id,
            exchange.at,
            exchange.object_ref,
            exchange.expires,
            encode_exchange(exchange),
        )

    async def get_exchange(self, request_id: str) -> KeptExchange | None:
        doc = await self.pool.fetchval("SELECT doc FROM exchanges WHERE request_id = $1", request_id)
        return None if doc is None else decode_exchange(doc)

    async def object_exchanges(self, object_ref: str, *, limit: int = 50) -> list[KeptExchange]:
        rows = await self.pool.fetch(
            "SELECT doc FROM exchanges WHERE object_ref = $1 ORDER BY at DESC, request_id LIMIT $2", object_ref, limit
        )
        return [decode_exchange(r[0]) for r in rows]

    async def prune_exchanges(self, now: DateTime) -> int:
        return rowcount(await self.pool.execute("DELETE FROM exchanges WHERE expires < $1", now))

    async def mark_degraded(self, mark: HealthMark) -> None:
        await self.pool.execute(
            "INSERT INTO degraded (partner_id, since, error, at) VALUES ($1, $2, $3, $4) ON CONFLICT (partner_id)"
            " DO UPDATE SET error = EXCLUDED.error, at = EXCLUDED.at",
            mark.partner_id,
            mark.since,
            mark.error,
            mark.at,
        )

    async def clear_degraded(self, partner_id: str) -> bool:
        return rowcount(await self.pool.execute("DELETE FROM degraded WHERE partner_id = $1", partner_id)) == 1

    async def degraded(self) -> dict[str, HealthMark]:
        rows = await self.pool.fetch("SELECT partner_id, since, error, at FROM degraded")
        return {
            r[0]: HealthMark(partner_id=r[0], since=as_datetime(r[1]), error=r[2], at=as_datetime(r[3])) for r in rows
        }


__all__ = ("PostgresDesk",)
