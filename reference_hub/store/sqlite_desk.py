"""The SQLite side of the operators' desk (mixed into :class:`~reference_hub.store.sqlite.SqliteStore`)."""

from __future__ import annotations

import sqlite3
from typing import Any

from reference_hub.ocpi.datetime import DateTime, sortable
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
from reference_hub.store.sqlite_tx import immediate

DESK_SCHEMA = """
CREATE TABLE IF NOT EXISTS operators (
    name          TEXT PRIMARY KEY,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created       TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
    seq      INTEGER PRIMARY KEY,
    at       TEXT NOT NULL,
    operator TEXT NOT NULL,
    action   TEXT NOT NULL,
    subject  TEXT NOT NULL,
    detail   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_subject ON audit (subject, seq);
CREATE TABLE IF NOT EXISTS exchanges (
    request_id TEXT PRIMARY KEY,
    at         TEXT NOT NULL,
    object_ref TEXT NOT NULL,
    expires    TEXT NOT NULL,
    doc        BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS exchanges_object ON exchanges (object_ref, at);
CREATE INDEX IF NOT EXISTS exchanges_expires ON exchanges (expires);
CREATE TABLE IF NOT EXISTS degraded (
    partner_id TEXT PRIMARY KEY,
    since      TEXT NOT NULL,
    error      TEXT NOT NULL,
    at         TEXT NOT NULL
);
"""


def _ts(value: DateTime) -> str:
    return sortable(value)


def _operator(row: tuple[Any, ...]) -> Operator:
    return Operator(name=row[0], role=OperatorRole(row[1]), password_hash=row[2], created=DateTime.parse(row[3]))


class SqliteDesk:
    """Desk methods; the host class provides ``db``."""

    @property
    def db(self) -> sqlite3.Connection:
        raise NotImplementedError

    async def add_operator(self, operator: Operator) -> None:
        try:
            self.db.execute(
                "INSERT INTO operators (name, role, password_hash, created) VALUES (?, ?, ?, ?)",
                (operator.name, operator.role.value, operator.password_hash, _ts(operator.created)),
            )
        except sqlite3.IntegrityError as exc:
            raise Conflict(f"there is an operator {operator.name!r} already") from exc

    async def get_operator(self, name: str) -> Operator | None:
        row = self.db.execute(
            "SELECT name, role, password_hash, created FROM operators WHERE name = ?", (name,)
        ).fetchone()
        return None if row is None else _operator(row)

    async def list_operators(self) -> list[Operator]:
        rows = self.db.execute("SELECT name, role, password_hash, created FROM operators ORDER BY name").fetchall()
        return [_operator(r) for r in rows]

    async def remove_operator(self, name: str) -> bool:
        return self.db.execute("DELETE FROM operators WHERE name = ?", (name,)).rowcount == 1

    async def add_audit(self, entry: AuditEntry) -> None:
        self.db.execute(
            "INSERT INTO audit (at, operator, action, subject, detail) VALUES (?, ?, ?, ?, ?)",
            (_ts(entry.at), entry.operator, entry.action, entry.subject, entry.detail),
        )

    async def list_audit(self, *, offset: int = 0, limit: int = 50, subject: str | None = None) -> Page[AuditEntry]:
        where, params = ("WHERE subject = ?", [subject]) if subject is not None else ("", [])
        (total,) = self.db.execute(f"SELECT count(*) FROM audit {where}", params).fetchone()  # noqa: S608
        rows = self.db.execute(
            f"SELECT at, operator, action, subject, detail FROM audit {where} ORDER BY seq DESC LIMIT ? OFFSET ?",  # noqa: S608
            [*params, limit, offset],
        ).fetchall()
        entries = [
            AuditEntry(at=DateTime.parse(r[0]), operator=r[1], action=r[2], subject=r[3], detail=r[4]) for r in rows
        ]
        return Page(total=total, items=entries)

    async def keep_exchange(self, exchange: KeptExchange) -> None:
        self.db.execute(
            "INSERT INTO exchanges (request_id, at, object_ref, expires, doc) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (request_id) DO UPDATE SET at = excluded.at, object_ref = excluded.object_ref,"
            " expires = excluded.expires, doc = excluded.doc",
            (
                exchange.request_id,
                _ts(exchange.at),
                exchange.object_ref,
                _ts(exchange.expires),
                encode_exchange(exchange),
            ),
        )

    async def get_exchange(self, request_id: str) -> KeptExchange | None:
        row = self.db.execute("SELECT doc FROM exchanges WHERE request_id = ?", (request_id,)).fetchone()
        return None if row is None else decode_exchange(row[0])

    async def object_exchanges(self, object_ref: str, *, limit: int = 50) -> list[KeptExchange]:
        rows = self.db.execute(
            "SELECT doc FROM exchanges WHERE object_ref = ? ORDER BY at DESC, request_id LIMIT ?", (object_ref, limit)
        ).fetchall()
        return [decode_exchange(r[0]) for r in rows]

    async def prune_exchanges(self, now: DateTime) -> int:
        return self.db.execute("DELETE FROM exchanges WHERE expires < ?", (_ts(now),)).rowcount

    async def mark_degraded(self, mark: HealthMark) -> None:
        with immediate(self.db) as db:
            db.execute(
                "INSERT INTO degraded (partner_id, since, error, at) VALUES (?, ?, ?, ?) ON CONFLICT (partner_id)"
                " DO UPDATE SET error = excluded.error, at = excluded.at",
                (mark.partner_id, _ts(mark.since), mark.error, _ts(mark.at)),
            )

    async def clear_degraded(self, partner_id: str) -> bool:
        return self.db.execute("DELETE FROM degraded WHERE partner_id = ?", (partner_id,)).rowcount == 1

    async def degraded(self) -> dict[str, HealthMark]:
        rows = self.db.execute("SELECT partner_id, since, error, at FROM degraded").fetchall()
        return {
            r[0]: HealthMark(partner_id=r[0], since=DateTime.parse(r[1]), error=r[2], at=DateTime.parse(r[3]))
            for r in rows
        }


__all__ = ("DESK_SCHEMA", "SqliteDesk")
