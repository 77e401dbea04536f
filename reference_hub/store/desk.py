"""What the operators' desk keeps: named operators, the audit log of their actions, the exchanges kept to look at
(failed forwards and deliveries with their bodies, and what each receiver was delivered), and the parties whose
sends are failing (DEGRADED) right now.

None of it is on the token path: operators and the audit log change only by an operator's hand; an exchange is kept
when a forward or a delivery fails, and when a delivery arrives (a delivery already costs store writes); a health
mark is written only when a party's state changes (its first failure after a success, its first success after a
failure). Kept exchanges carry their own expiry and are pruned by the hub.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

import msgspec

from reference_hub.ocpi.datetime import DateTime, dec_hook, enc_hook
from reference_hub.store.page import Page


class OperatorRole(StrEnum):
    VIEWER = "viewer"
    """Reads every page; changes nothing."""
    OPERATOR = "operator"
    """Also acts: invitations, suspensions, registrations, retries and drops."""


class Operator(msgspec.Struct, kw_only=True):
    """A named dashboard account."""

    name: str
    role: OperatorRole
    password_hash: str
    """An Argon2id hash (PHC string: algorithm, parameters and salt included); never the password."""
    created: DateTime


class AuditEntry(msgspec.Struct, kw_only=True):
    """One operator action: who, when, what, on which party, invitation or delivery."""

    at: DateTime
    operator: str
    action: str
    subject: str = ""
    detail: str = ""


class KeptExchange(msgspec.Struct, kw_only=True):
    """One request the hub sent to a party, kept to be looked at: headers without credentials, bodies capped and
    redacted (see ``hub/exchanges.py``)."""

    request_id: str
    at: DateTime
    kind: str
    """``forward`` or ``delivery``."""
    sender: str
    """``CC/PID`` of the requesting party (the hub's own for a delivery)."""
    receiver: str
    """``CC/PID`` of the receiving party."""
    module: str
    object_ref: str = ""
    """``module|OWNER|ID`` of the object the request carried, when it carried one."""
    method: str
    url: str
    ok: bool
    status_code: int | None = None
    http_status: int | None = None
    error: str = ""
    request_headers: list[tuple[str, str]] = []
    request_body: str = ""
    answer_body: str = ""
    expires: DateTime


class HealthMark(msgspec.Struct, kw_only=True):
    """A party whose recent sends failed (DEGRADED), with the last failure."""

    partner_id: str
    since: DateTime
    """When the run of failures began."""
    error: str
    at: DateTime
    """When the last failure was noted."""


_ENCODE = msgspec.json.Encoder(enc_hook=enc_hook).encode
_EXCHANGE = msgspec.json.Decoder(KeptExchange, dec_hook=dec_hook)


def encode_exchange(exchange: KeptExchange) -> bytes:
    """A kept exchange as the adapters store it (JSON)."""
    return _ENCODE(exchange)


def decode_exchange(doc: bytes) -> KeptExchange:
    return _EXCHANGE.decode(doc)


class Desk(Protocol):
    """Every adapter passes tests/contract/test_desk_contract.py."""

    async def add_operator(self, operator: Operator) -> None:
        """Create an account; Conflict when the name is taken."""

    async def get_operator(self, name: str) -> Operator | None: ...

    async def list_operators(self) -> list[Operator]:
        """By name."""

    async def remove_operator(self, name: str) -> bool:
        """False when there was none."""

    async def add_audit(self, entry: AuditEntry) -> None: ...

    async def list_audit(self, *, offset: int = 0, limit: int = 50, subject: str | None = None) -> Page[AuditEntry]:
        """Newest first; ``subject``: only the entries about it."""

    async def keep_exchange(self, exchange: KeptExchange) -> None:
        """Keep (or replace, by ``request_id``: a retried delivery keeps its id) one exchange."""

    async def get_exchange(self, request_id: str) -> KeptExchange | None: ...

    async def object_exchanges(self, object_ref: str, *, limit: int = 50) -> list[KeptExchange]:
        """Exchanges that carried this object, newest first."""

    async def prune_exchanges(self, now: DateTime) -> int:
        """Remove the exchanges whose ``expires`` is past; how many."""

    async def mark_degraded(self, mark: HealthMark) -> None:
        """Note a failure of a party (insert, or update ``error`` and ``at`` keeping ``since``)."""

    async def clear_degraded(self, partner_id: str) -> bool:
        """The party answered again; True when it was marked."""

    async def degraded(self) -> dict[str, HealthMark]:
        """Every party marked DEGRADED, by partner id."""


__all__ = (
    "AuditEntry",
    "Desk",
    "HealthMark",
    "KeptExchange",
    "Operator",
    "OperatorRole",
    "decode_exchange",
    "encode_exchange",
)
