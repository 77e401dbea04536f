"""What a paginated GET asks for: ``date_from`` (inclusive) and ``date_to`` (exclusive) on ``last_updated``,
``offset``, and ``limit`` capped at the server's page size (``page_limit``, which ``X-Limit`` reports)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from reference_hub.faults import Fault
from reference_hub.ocpi.datetime import DateTime
from reference_hub.ocpi.errors import InvalidOrMissingParameters
from reference_hub.settings import Settings


@dataclass(frozen=True, slots=True)
class PageRequest:
    date_from: DateTime | None
    date_to: DateTime | None
    offset: int
    limit: int


_MAX_DIGITS = 18
"""Longest number read from ``offset``/``limit``: any value that size already lies past every list, and it stays
within the 64-bit integers the stores take."""


def _int(params: Mapping[str, str], name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    # ASCII digits only: int() would also take "+5", " 5", "1_000" and digits of other scripts.
    if not (raw.isascii() and raw.isdigit()) or len(raw) > _MAX_DIGITS:
        shown = raw if len(raw) <= 40 else raw[:40] + "..."
        raise InvalidOrMissingParameters(
            f"query parameter {name}={shown!r} must be a non-negative integer of at most {_MAX_DIGITS} digits"
        )
    return int(raw)


def query_datetime(params: Mapping[str, str], name: str) -> DateTime | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return DateTime.parse(raw)
    except ValueError as exc:
        raise InvalidOrMissingParameters(f"query parameter {name}: {exc}") from exc


def page_request(params: Mapping[str, str], settings: Settings) -> PageRequest:
    """Parse and cap the pagination parameters (and apply the request-side fault switches)."""
    faults = settings.faults
    cap = settings.page_limit
    date_from, date_to = query_datetime(params, "date_from"), query_datetime(params, "date_to")
    offset, limit = _int(params, "offset", 0), min(_int(params, "limit", cap), cap)
    if faults:
        if Fault.IGNORE_OFFSET in faults:
            offset = 0
        if Fault.IGNORE_LIMIT in faults:
            limit = cap
        if Fault.IGNORE_DATE_FILTERS in faults:
            date_from = date_to = None
        if Fault.DATE_TO_INCLUSIVE in faults and date_to is not None:
            date_to = DateTime.from_datetime(date_to + timedelta(microseconds=1))
    return PageRequest(date_from, date_to, offset, limit)


__all__ = ("PageRequest", "page_request", "query_datetime")
