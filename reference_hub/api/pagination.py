"""Paginated GET lists: query parameters in, ``X-Total-Count`` / ``X-Limit`` / ``Link`` out.

``date_from`` is inclusive and ``date_to`` exclusive on ``last_updated``; ``limit`` is capped at the server's page size,
which ``X-Limit`` always reports; ``Link: <...>; rel="next"`` appears on every page but the last and keeps the request's
other query parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from litestar import Request

from reference_hub.api.context import HubContext
from reference_hub.api.responses import OcpiResponse, ocpi_response
from reference_hub.api.slashes import ORIGINAL_PATH_KEY
from reference_hub.faults import Fault
from reference_hub.ocpi.datetime import DateTime
from reference_hub.ocpi.errors import InvalidOrMissingParameters


@dataclass(frozen=True, slots=True)
class PageRequest:
    date_from: DateTime | None
    date_to: DateTime | None
    offset: int
    limit: int


_MAX_DIGITS = 18
"""Longest number read from ``offset``/``limit``: any value that size already lies past every list, and it stays
within the 64-bit integers the stores take."""


def _int(request: Request[Any, Any, Any], name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    # ASCII digits only: int() would also take "+5", " 5", "1_000" and digits of other scripts.
    if not (raw.isascii() and raw.isdigit()) or len(raw) > _MAX_DIGITS:
        shown = raw if len(raw) <= 40 else raw[:40] + "..."
        raise InvalidOrMissingParameters(
            f"query parameter {name}={shown!r} must be a non-negative integer of at most {_MAX_DIGITS} digits"
        )
    return int(raw)


def _datetime(request: Request[Any, Any, Any], name: str) -> DateTime | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return DateTime.parse(raw)
    except ValueError as exc:
        raise InvalidOrMissingParameters(f"query parameter {name}: {exc}") from exc


def page_request(request: Request[Any, Any, Any], ctx: HubContext) -> PageRequest:
    """Parse and cap the pagination parameters (and apply the request-side fault switches)."""
    faults = ctx.settings.faults
    cap = ctx.settings.page_limit
    date_from, date_to = _datetime(request, "date_from"), _datetime(request, "date_to")
    offset, limit = _int(request, "offset", 0), min(_int(request, "limit", cap), cap)
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


def paginated_response(
    request: Request[Any, Any, Any], ctx: HubContext, page: PageRequest, items: list[Any], total: int
) -> OcpiResponse:
    faults = ctx.settings.faults
    headers = {"X-Total-Count": str(total), "X-Limit": str(ctx.settings.page_limit)}
    next_offset = page.offset + len(items)
    if page.limit > 0 and items and next_offset < total and Fault.NO_LINK_HEADER not in faults:
        query = {k: v for k, v in request.query_params.items() if k not in ("offset", "limit")}
        if Fault.LINK_DROPS_FILTERS in faults:
            query = {k: v for k, v in query.items() if k not in ("date_from", "date_to")}
        if Fault.LINK_NON_OCPI_DATES in faults:
            for key in ("date_from", "date_to"):
                if key in query:
                    parsed = _datetime(request, key)
                    query[key] = parsed.isoformat() if parsed is not None else "None"
        query.update(offset=str(next_offset), limit=str(page.limit))
        path = str(request.scope.get(ORIGINAL_PATH_KEY) or request.url.path)
        if Fault.LINK_TO_OTHER_URL in faults:
            path = "/ocpi/versions"
        url = f"{ctx.settings.base_url}{path}?{urlencode(query)}"
        headers["Link"] = f'<{url}>; rel="next"'
    if Fault.DROP_TOTAL_COUNT in faults:
        headers.pop("X-Total-Count")
    if Fault.DROP_LIMIT_HEADER in faults:
        headers.pop("X-Limit")
    return ocpi_response(request, ctx, items, headers=headers)


__all__ = ("PageRequest", "page_request", "paginated_response")
