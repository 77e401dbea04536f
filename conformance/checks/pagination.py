"""Paginated GET responses: ``X-Total-Count``, ``X-Limit``, ``Link: <url>; rel="next"`` and page sizes."""

from __future__ import annotations

import re
from urllib.parse import SplitResult, parse_qs, urlsplit

from conformance.checks._registry import check, fail
from conformance.checks.datetime import is_ocpi_datetime
from conformance.checks.envelope import require_response
from conformance.model import Exchange

__all__ = ("limit_header", "link_header", "next_link", "page_size", "total_count_header")

_LINK = re.compile(r'<([^>]*)>\s*((?:;\s*[A-Za-z*-]+\s*=\s*(?:"[^"]*"|[^;,]*)\s*)*)')
_REL = re.compile(r';\s*rel\s*=\s*"?([^";,]+)"?', re.IGNORECASE)


def _int_header(exchange: Exchange, name: str, *, minimum: int) -> int:
    require_response(exchange)
    raw = exchange.header(name)
    if raw is None:
        fail(f"the paginated response has no {name} header", expected=f"{name}: <integer>", actual="absent")
    try:
        value = int(raw.strip())
    except ValueError:
        fail(f"{name} is not an integer", expected=f"{name}: <integer>", actual=f"{name}: {raw}")
    if value < minimum:
        fail(f"{name} is below {minimum}", expected=f"{name} >= {minimum}", actual=f"{name}: {raw}")
    return value


@check(spec="transport_and_format.pagination", fuzz=True)
def total_count_header(exchange: Exchange) -> int:
    """A paginated response carries ``X-Total-Count`` (objects matching the filters, ignoring offset/limit)."""
    return _int_header(exchange, "X-Total-Count", minimum=0)


@check(spec="transport_and_format.pagination", fuzz=True)
def limit_header(exchange: Exchange) -> int:
    """A paginated response carries ``X-Limit`` (the server's maximum page size)."""
    return _int_header(exchange, "X-Limit", minimum=1)


def next_link(exchange: Exchange) -> str | None:
    """The ``rel="next"`` URL of the response's Link header(s), or None. Does not validate."""
    for value in exchange.headers_named("Link"):
        for m in _LINK.finditer(value):
            rels = _REL.findall(m.group(2))
            if any("next" in r.lower().split() for r in rels):
                return m.group(1)
    return None


@check(spec="transport_and_format.pagination", fuzz=True)
def link_header(exchange: Exchange, *, filters_judged_elsewhere: bool = False) -> str | None:
    """Any ``Link`` header has the form ``<absolute URL>; rel="next"``; returns the next URL (or None).

    ``filters_judged_elsewhere``: the date filters the request carried are another scenario's to judge
    (pagination.link-keeps-filters); only a date filter the next link adds on its own is judged here."""
    require_response(exchange)
    values = exchange.headers_named("Link")
    if not values:
        return None
    url = next_link(exchange)
    if url is None:
        fail(
            'the Link header has no rel="next" entry',
            expected='Link: <URL>; rel="next"',
            actual="; ".join(f"Link: {v}" for v in values),
        )
    if not re.match(r"^https?://", url):
        fail("the Link next URL is not absolute", expected="an absolute http(s) URL", actual=url)
    _same_list(exchange, url, filters_judged_elsewhere)
    return url


def _first(query: dict[str, list[str]], key: str) -> str | None:
    values = query.get(key)
    return values[0] if values else None


def _authority(parts: SplitResult) -> str:
    """host[:port] in lower case, without the scheme's default port (``http://h:80/`` is ``http://h/``)."""
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        return parts.netloc.lower()
    return host if port in (None, default) else f"{host}:{port}"


def _same_list(exchange: Exchange, url: str, filters_judged_elsewhere: bool = False) -> None:
    """The next link continues the list that was asked for: same scheme, host and path, the next offset, the same
    limit (or the server's cap), and any date filter written as an OCPI DateTime."""
    asked, got = urlsplit(exchange.url), urlsplit(url)
    if (asked.scheme, _authority(asked), asked.path) != (got.scheme.lower(), _authority(got), got.path):
        fail(
            "the Link next URL points at another endpoint than the one requested",
            expected=f"{asked.scheme}://{asked.netloc}{asked.path}?...",
            actual=url,
        )
    request_q, next_q = parse_qs(asked.query), parse_qs(got.query)
    items = exchange.data if isinstance(exchange.data, list) else None
    try:
        offset = int(_first(request_q, "offset") or 0)
    except ValueError:
        offset = None
    next_offset = _first(next_q, "offset")
    if offset is not None and items is not None and next_offset is not None and next_offset != str(offset + len(items)):
        fail(
            "the Link next URL does not continue after this page",
            expected=f"offset={offset + len(items)} (offset {offset} + {len(items)} objects on this page)",
            actual=f"offset={next_offset} in {url}",
        )
    limit, next_limit = _first(request_q, "limit"), _first(next_q, "limit")
    if limit and next_limit and limit.isdigit() and next_limit.isdigit() and int(next_limit) > int(limit):
        fail(
            "the Link next URL asks for larger pages than the request did",
            expected=f"limit={limit} (or less, the server's cap)",
            actual=f"limit={next_limit} in {url}",
        )
    for key in ("date_from", "date_to"):
        value = _first(next_q, key)
        if filters_judged_elsewhere and _first(request_q, key) is not None:
            continue
        if value is not None and not is_ocpi_datetime(value):
            fail(
                f"the Link next URL writes {key} in a form that is not an OCPI DateTime",
                expected=f"{key}=YYYY-MM-DDThh:mm:ss[.fff][Z] (as sent: {_first(request_q, key)})",
                actual=f"{key}={value!r} in {url}",
            )


@check(spec="transport_and_format.pagination")
def page_size(exchange: Exchange, *, at_most: int, because: str) -> int:
    """The page holds no more objects than ``at_most`` (the requested limit or the server's X-Limit)."""
    require_response(exchange)
    data = exchange.data
    if not isinstance(data, list):
        fail("the paginated response's data is not a list", expected="a JSON array", actual=type(data).__name__)
    if len(data) > at_most:
        fail(
            f"the page holds more objects than {because}",
            expected=f"at most {at_most} objects",
            actual=f"{len(data)} objects",
        )
    return len(data)
