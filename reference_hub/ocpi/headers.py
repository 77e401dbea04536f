"""OCPI header names, and the routing headers read in one place.

Functional modules carry ``OCPI-to-*`` / ``OCPI-from-*`` on every request and response; configuration modules
(versions, credentials, hubclientinfo) never do.
"""

from __future__ import annotations

import itertools
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

TO_COUNTRY_CODE = "OCPI-to-country-code"
TO_PARTY_ID = "OCPI-to-party-id"
FROM_COUNTRY_CODE = "OCPI-from-country-code"
FROM_PARTY_ID = "OCPI-from-party-id"

_ID_PREFIX = secrets.token_hex(8)
_ID_COUNTER = itertools.count(1)


def new_exchange_id() -> str:
    """A new unique X-Request-ID or X-Correlation-ID: a random per-process prefix and a counter. Unique without the
    cost of a UUID (2.6 µs against 0.15 µs here), which matters where one is made per request: the ids the hub gives a
    request that came without them, and the X-Request-ID of every request it forwards."""
    return f"{_ID_PREFIX}-{next(_ID_COUNTER)}"


def _new_prefix() -> None:
    """A forked process starts a prefix of its own (its counter would otherwise repeat its parent's ids)."""
    global _ID_PREFIX, _ID_COUNTER
    _ID_PREFIX, _ID_COUNTER = secrets.token_hex(8), itertools.count(1)


os.register_at_fork(after_in_child=_new_prefix)

_RAW = {
    TO_COUNTRY_CODE.lower().encode(): "to_country_code",
    TO_PARTY_ID.lower().encode(): "to_party_id",
    FROM_COUNTRY_CODE.lower().encode(): "from_country_code",
    FROM_PARTY_ID.lower().encode(): "from_party_id",
}


@dataclass(frozen=True, slots=True)
class RoutingHeaders:
    """The four routing headers as sent (None when absent or empty)."""

    to_country_code: str | None = None
    to_party_id: str | None = None
    from_country_code: str | None = None
    from_party_id: str | None = None

    @classmethod
    def from_asgi(cls, headers: Iterable[tuple[bytes, bytes]]) -> RoutingHeaders:
        found: dict[str, str] = {}
        for name, value in headers:
            field = _RAW.get(name.lower())
            if field is not None and value.strip():
                found[field] = value.decode("latin-1").strip()
        return cls(**found)

    def problems(self) -> list[str]:
        """What is wrong with the headers as a set (missing FROM, half a TO, over-long values)."""
        found = []
        if self.from_country_code is None or self.from_party_id is None:
            found.append(f"{FROM_COUNTRY_CODE} and {FROM_PARTY_ID} are required on functional modules")
        if (self.to_country_code is None) != (self.to_party_id is None):
            found.append(f"{TO_COUNTRY_CODE} and {TO_PARTY_ID} go together")
        for name, value, limit in (
            (FROM_COUNTRY_CODE, self.from_country_code, 2),
            (FROM_PARTY_ID, self.from_party_id, 3),
            (TO_COUNTRY_CODE, self.to_country_code, 2),
            (TO_PARTY_ID, self.to_party_id, 3),
        ):
            if value is not None and (len(value) > limit or not value.isascii() or not value.isprintable()):
                found.append(f"{name} must be at most {limit} printable ASCII characters")
        return found


def reply_headers(
    to_country_code: str, to_party_id: str, from_country_code: str, from_party_id: str
) -> list[tuple[str, str]]:
    """The routing headers of an answer."""
    return [
        (TO_COUNTRY_CODE, to_country_code),
        (TO_PARTY_ID, to_party_id),
        (FROM_COUNTRY_CODE, from_country_code),
        (FROM_PARTY_ID, from_party_id),
    ]


__all__ = (
    "FROM_COUNTRY_CODE",
    "FROM_PARTY_ID",
    "TO_COUNTRY_CODE",
    "TO_PARTY_ID",
    "RoutingHeaders",
    "reply_headers",
)
