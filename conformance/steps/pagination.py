"""Steps for paginated Sender lists. Read-only: the harness works with whatever data the target has.

Every When step works on each advertised list separately and stores what it saw in
``ocpi_context.per_endpoint``; when a list has too little data for a check (e.g. offset needs two
objects) that list is skipped with the reason, and the scenario is skipped only when every list
was. Last-updated values are read leniently here (a ``+00:00`` form is judged by the DateTime
scenarios, not by these).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from pytest_bdd import then, when

from conformance.checks import judged, run_check
from conformance.checks.datetime import format_ocpi_datetime, is_ocpi_datetime
from conformance.checks.pagination import next_link
from conformance.model import Blocked, Exchange, Finding, NotJudged
from conformance.session import HarnessSession, ListEndpoint
from conformance.steps.context import FindingGroup, ScenarioContext

__all__ = ()

_SCAN_LIMIT = 100
"""Page size the harness asks for when it wants to see many objects at once."""
_MAX_PAGES = 5


class _TooLittleData(Exception):
    """This list cannot exercise the check; the message says why."""


def _lenient_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _identity(obj: Any) -> str:
    """A stable key for an object: its ids when it has them, else its whole JSON."""
    if isinstance(obj, dict):
        keys = [k for k in ("country_code", "party_id", "id", "uid", "role") if k in obj]
        if keys and any(k in obj for k in ("id", "uid", "party_id")):
            return json.dumps({k: obj[k] for k in keys}, sort_keys=True)
    return json.dumps(obj, sort_keys=True)


def _label(obj: Any) -> str:
    if isinstance(obj, dict):
        ids = "/".join(str(obj[k]) for k in ("country_code", "party_id", "id", "uid") if k in obj)
        return f"{ids or 'object'} (last_updated {obj.get('last_updated')})"
    return repr(obj)[:60]


def _get(harness: HarnessSession, le: ListEndpoint, label: str, **params: Any) -> Exchange:
    return harness.client.request(
        "GET",
        le.url,
        token=harness.token,
        params=le.params(**params) or None,
        headers=harness.routing_headers(le.module),
        label=f"{le.name}: {label}",
    )


def _items(ex: Exchange) -> list[Any]:
    return ex.data if isinstance(ex.data, list) else []


def _header_int(ex: Exchange, name: str) -> int | None:
    try:
        return int((ex.header(name) or "").strip())
    except ValueError:
        return None


def _for_each_list(ocpi_context: ScenarioContext, harness: HarnessSession, gather: Any) -> None:
    """Run ``gather(le) -> dict`` on every list; record too-little-data as a per-list skip."""
    for le in harness.list_endpoints():
        try:
            ocpi_context.per_endpoint[le.name] = gather(le)
        except _TooLittleData as reason:
            ocpi_context.per_endpoint[le.name] = {"skip": str(reason)}


def _judge(ocpi_context: ScenarioContext, judge: Any) -> None:
    """Apply ``judge(name, gathered)`` to every list that had enough data; skip if none had."""
    usable = {n: g for n, g in ocpi_context.per_endpoint.items() if "skip" not in g}
    skipped = {n: g["skip"] for n, g in ocpi_context.per_endpoint.items() if "skip" in g}
    for name, reason in skipped.items():
        ocpi_context.note(f"{name} not judged: {reason}")
    if not usable:
        pytest.skip("; ".join(f"{n}: {r}" for n, r in skipped.items()) or "no paginated list to judge")
    findings: list[Finding] = []
    blocked: list[Blocked | NotJudged] = []
    for name, gathered in usable.items():
        try:
            judge(name, gathered)
        except (Blocked, NotJudged) as b:
            blocked.append(b)
            ocpi_context.note(f"{name} not judged: {b}")
        except FindingGroup as group:
            for f in group.findings:
                f.message = f"{name}: {f.message}"
                f.endpoint = f.endpoint or name
            findings.extend(group.findings)
        except Finding as f:
            f.message = f"{name}: {f.message}"
            f.endpoint = f.endpoint or name
            findings.append(f)
    if findings:
        raise FindingGroup(findings, len(usable) - len(blocked))
    if blocked and len(blocked) == len(usable):
        first = blocked[0]
        if isinstance(first, NotJudged):
            raise NotJudged("; ".join(b.reason for b in blocked))
        raise Blocked("; ".join(b.reason for b in blocked), first.owner)


def _need(harness: HarnessSession, le: ListEndpoint, minimum: int) -> Exchange:
    """A wide first page, or _TooLittleData when the list holds fewer than ``minimum`` objects."""
    ex = _get(harness, le, f"first {_SCAN_LIMIT} objects", offset=0, limit=_SCAN_LIMIT)
    if ex.status is None or not 200 <= ex.status < 300 or not isinstance(ex.data, list):
        raise _TooLittleData(f"the list could not be read (HTTP {ex.status}, status {ex.ocpi_status})")
    if len(ex.data) < minimum:
        raise _TooLittleData(f"needs at least {minimum} objects, the list holds {len(ex.data)}")
    return ex


def _pivot(harness: HarnessSession, le: ListEndpoint) -> tuple[Exchange, str, datetime, list[Any], list[Any]]:
    """A last_updated value P with older objects before it: (page, P text, P, objects at P, objects before P)."""
    ex = _need(harness, le, 2)
    timed: list[tuple[Any, datetime]] = []
    for o in ex.data:
        t = _lenient_time(o.get("last_updated") if isinstance(o, dict) else None)
        if t is not None:
            timed.append((o, t))
    distinct = sorted({t for _, t in timed})
    if len(distinct) < 2:
        raise _TooLittleData("needs objects with at least two different last_updated values")
    moment = distinct[1]
    at = [o for o, t in timed if t == moment]
    before = [o for o, t in timed if t < moment]
    raw = at[0].get("last_updated")
    text = (
        raw
        if is_ocpi_datetime(raw) and raw.endswith("Z")
        else format_ocpi_datetime(moment, millis=bool(moment.microsecond))
    )
    return ex, text, moment, at, before


def _crawl(harness: HarnessSession, le: ListEndpoint, label: str, stop: Any = None, **params: Any) -> list[Exchange]:
    """Read up to _MAX_PAGES pages by offset; ``stop(objects)`` may end the crawl early."""
    pages: list[Exchange] = []
    offset = 0
    for _ in range(_MAX_PAGES):
        ex = _get(harness, le, label, offset=offset, limit=_SCAN_LIMIT, **params)
        pages.append(ex)
        items = _items(ex)
        offset += len(items)
        if not items or len(items) < _SCAN_LIMIT or (stop is not None and stop(items)):
            break
    return pages


# ## When ----------------------------------------------------------------------------------------


@when("the harness reads two pages of every paginated Sender endpoint")
def two_pages(ocpi_context: ScenarioContext, harness: HarnessSession) -> None:
    def gather(le: ListEndpoint) -> dict[str, Any]:
        first = _get(harness, le, "page 1 (offset 0, limit 1)", offset=0, limit=1)
        second = _get(harness, le, "page 2 (offset 1, limit 1)", offset=1, limit=1)
        return {"pages": [first, second]}

    _for_each_list(ocpi_context, harness, gather)


@when("the harness asks every paginated Sender endpoint for pages with limit 1 and with a limit above X-Limit")
def limit_pages(ocpi_context: ScenarioContext, harness: HarnessSession) -> None:
    def gather(le: ListEndpoint) -> dict[str, Any]:
        wide = _need(harness, le, 2)
        one = _get(harness, le, "limit 1", offset=0, limit=1)
        cap = _header_int(wide, "X-Limit") or _header_int(one, "X-Limit")
        huge = _get(harness, le, "limit above X-Limit", offset=0, limit=(cap or _SCAN_LIMIT) + 1000)
        return {"one": one, "huge": huge, "cap": _header_int(huge, "X-Limit") or cap}

    _for_each_list(ocpi_context, harness, gather)


@when("the harness compares pages at offset 0 and offset 1 of every paginated Sender endpoint")
def offset_pages(ocpi_context: ScenarioContext, harness: HarnessSession) -> None:
    def gather(le: ListEndpoint) -> dict[str, Any]:
        two = _get(harness, le, "offset 0, limit 2", offset=0, limit=2)
        if len(_items(two)) < 2:
            raise _TooLittleData(f"needs at least 2 objects, offset 0 returned {len(_items(two))}")
        second = _get(harness, le, "offset 1, limit 1", offset=1, limit=1)
        return {"two": two, "second": second}

    _for_each_list(ocpi_context, harness, gather)


@when("the harness reads the first and the last page of every paginated Sender endpoint with limit 1")
def first_last(ocpi_context: ScenarioContext, harness: HarnessSession) -> None:
    def gather(le: ListEndpoint) -> dict[str, Any]:
        _need(harness, le, 2)
        first = _get(harness, le, "first page (limit 1)", offset=0, limit=1)
        total = _header_int(first, "X-Total-Count")
        last = None
        if total is not None and total >= 2:
            last = _get(harness, le, f"last page (offset {total - 1}, limit 1)", offset=total - 1, limit=1)
        return {"first": first, "last": last, "total": total}

    _for_each_list(ocpi_context, harness, gather)


@when("the harness reads a filtered first page of every paginated Sender endpoint with limit 1")
def filtered_first(ocpi_context: ScenarioContext, harness: HarnessSession) -> None:
    def gather(le: ListEndpoint) -> dict[str, Any]:
        wide = _need(harness, le, 2)
        times = [t for o in wide.data if isinstance(o, dict) and (t := _lenient_time(o.get("last_updated")))]
        if len(times) < 2:
            raise _TooLittleData("needs two objects with a readable last_updated")
        date_from = format_ocpi_datetime(min(times).replace(microsecond=0))
        date_to = format_ocpi_datetime(max(times).replace(microsecond=0) + timedelta(seconds=1))
        page = _get(
            harness, le, "filtered first page (limit 1)", offset=0, limit=1, date_from=date_from, date_to=date_to
        )
        return {"page": page, "date_from": date_from, "date_to": date_to}

    _for_each_list(ocpi_context, harness, gather)


@when("the harness filters every paginated Sender endpoint with date_from set to an object's last_updated")
def filter_from(ocpi_context: ScenarioContext, harness: HarnessSession) -> None:
    def gather(le: ListEndpoint) -> dict[str, Any]:
        _wide, text, moment, at, before = _pivot(harness, le)
        wanted = {_identity(o) for o in at}
        pages = _crawl(
            harness, le, f"date_from={text}", stop=lambda items: wanted <= {_identity(o) for o in items}, date_from=text
        )
        return {"text": text, "moment": moment, "at": at, "before": before, "pages": pages}

    _for_each_list(ocpi_context, harness, gather)


@when("the harness filters every paginated Sender endpoint with date_to set to an object's last_updated")
def filter_to(ocpi_context: ScenarioContext, harness: HarnessSession) -> None:
    def gather(le: ListEndpoint) -> dict[str, Any]:
        _wide, text, moment, at, before = _pivot(harness, le)
        pages = _crawl(harness, le, f"date_to={text}", date_to=text)
        return {"text": text, "moment": moment, "at": at, "before": before, "pages": pages}

    _for_each_list(ocpi_context, harness, gather)


# ## Then ----------------------------------------------------------------------------------------


@then("every page carries an integer X-Total-Count header")
def total_counts(ocpi_context: ScenarioContext) -> None:
    def judge(name: str, g: dict[str, Any]) -> None:
        for ex in g["pages"]:
            run_check("total_count_header", ex)

    _judge(ocpi_context, judge)


@then("every page carries an integer X-Limit header")
def limits(ocpi_context: ScenarioContext) -> None:
    def judge(name: str, g: dict[str, Any]) -> None:
        for ex in g["pages"]:
            run_check("limit_header", ex)

    _judge(ocpi_context, judge)


@then("no page holds more objects than the limit asked for or the server's X-Limit")
def page_sizes(ocpi_context: ScenarioContext) -> None:
    def judge(name: str, g: dict[str, Any]) -> None:
        run_check("page_size", g["one"], at_most=1, because="the limit=1 the harness asked for")
        if g["cap"]:
            run_check("page_size", g["huge"], at_most=g["cap"], because=f"the server's X-Limit ({g['cap']})")
        else:
            ocpi_context.note(f"{name}: no X-Limit header, the cap on large limits was not judged")

    _judge(ocpi_context, judge)


@then("the page at offset 1 starts with the second object of the list")
def offset_applied(ocpi_context: ScenarioContext) -> None:
    def judge(name: str, g: dict[str, Any]) -> None:
        expected = _items(g["two"])[1]
        judged("offset_applied", g["second"])
        got = _items(g["second"])
        if not got or _identity(got[0]) != _identity(expected):
            raise Finding(
                "offset=1 did not start at the second object",
                check="offset_applied",
                spec="transport_and_format.pagination",
                expected=f"first object {_label(expected)}",
                actual=f"first object {_label(got[0])}" if got else "an empty page",
                exchanges=[g["two"], g["second"]],
            )

    _judge(ocpi_context, judge)


@then('every page but the last carries a well-formed Link rel="next"')
def link_present(ocpi_context: ScenarioContext) -> None:
    def judge(name: str, g: dict[str, Any]) -> None:
        first = g["first"]
        if len(_items(first)) > 1:
            raise Blocked(
                f"{name}: limit=1 returned {len(_items(first))} objects, so the next link cannot be judged",
                "pagination.limit-param",
            )
        if next_link(first) is None:
            links = first.headers_named("Link")
            raise Finding(
                'a page that is not the last carries no Link rel="next"',
                check="link_header",
                spec="transport_and_format.pagination",
                expected='Link: <URL>; rel="next" (the list holds at least 2 objects, the page 1)',
                actual="; ".join(f"Link: {v}" for v in links) if links else "no Link header",
                exchanges=[first],
            )
        # a date filter the request carried (the Sessions list always has one) is link-keeps-filters' to judge
        run_check("link_header", first, filters_judged_elsewhere=True)

    _judge(ocpi_context, judge)


@then('the last page carries no Link rel="next"')
def link_absent_on_last(ocpi_context: ScenarioContext) -> None:
    def judge(name: str, g: dict[str, Any]) -> None:
        last = g["last"]
        if last is None:
            ocpi_context.note(f"{name}: no X-Total-Count, so the last page was not located")
            return
        first_items, last_items = _items(g["first"]), _items(last)
        if first_items and last_items and _identity(first_items[0]) == _identity(last_items[0]):
            ocpi_context.note(
                f"{name}: offset {g['total'] - 1} returned the first object again, so the last "
                "page could not be reached (see pagination.offset-param)"
            )
            return
        judged("link_absent_on_last", last)
        if next_link(last) is not None and last_items:
            raise Finding(
                'the last page still carries Link rel="next"',
                check="link_header",
                spec="transport_and_format.pagination",
                expected="no next link on the page holding the last object",
                actual="; ".join(last.headers_named("Link")),
                exchanges=[last],
            )

    _judge(ocpi_context, judge)


@then("every next link carries the same date_from and date_to")
def link_filters(ocpi_context: ScenarioContext) -> None:
    def judge(name: str, g: dict[str, Any]) -> None:
        page = g["page"]
        url = next_link(page)
        if url is None:
            if len(_items(page)) > 1:
                raise Blocked(
                    f"{name}: limit=1 returned {len(_items(page))} objects, so there is no next link to judge",
                    "pagination.limit-param",
                )
            raise Blocked(f"{name}: the filtered first page carries no next link to judge", "pagination.link-next")
        query = parse_qs(urlsplit(url).query)
        problems = []
        judged("link_keeps_filters", page)
        for key in ("date_from", "date_to"):
            sent = g[key]
            got = query.get(key, [None])[0]
            if got is None:
                problems.append(f"{key} is missing")
            elif not is_ocpi_datetime(got):
                problems.append(f"{key} is {got!r}, not an OCPI DateTime (sent: {sent!r})")
            elif got != sent and _lenient_time(got) != _lenient_time(sent):
                problems.append(f"{key} is {got!r} instead of {sent!r}")
        if problems:
            raise Finding(
                "the next link does not keep the request's filters",
                check="link_keeps_filters",
                spec="transport_and_format.pagination",
                expected=f"date_from={g['date_from']} and date_to={g['date_to']} in {url}",
                actual="; ".join(problems),
                exchanges=[page],
            )

    _judge(ocpi_context, judge)


@then("the filtered list holds that object and nothing updated earlier")
def date_from_inclusive(ocpi_context: ScenarioContext) -> None:
    def judge(name: str, g: dict[str, Any]) -> None:
        pages: list[Exchange] = g["pages"]
        objects = [o for ex in pages for o in _items(ex)]
        for ex in pages:
            judged("date_filter", ex)
        older = [
            o
            for o in objects
            if (t := _lenient_time(o.get("last_updated") if isinstance(o, dict) else None)) and t < g["moment"]
        ]
        if older:
            raise Finding(
                f"date_from={g['text']} returned objects updated before it",
                check="date_from_applied",
                spec="transport_and_format.pagination",
                expected=f"only objects with last_updated >= {g['text']}",
                actual=", ".join(_label(o) for o in older[:5]) + (" ..." if len(older) > 5 else ""),
                exchanges=pages,
            )
        found = {_identity(o) for o in objects}
        missing = [o for o in g["at"] if _identity(o) not in found]
        if missing:
            complete = all(len(_items(ex)) < _SCAN_LIMIT for ex in pages[-1:])
            if not complete:
                ocpi_context.note(f"{name}: the object at date_from was not within the first {_MAX_PAGES} pages")
                return
            raise Finding(
                f"date_from={g['text']} left out the object updated exactly at that moment (treated as exclusive)",
                check="date_from_inclusive",
                spec="transport_and_format.pagination",
                expected=f"{_label(missing[0])} included (date_from is inclusive)",
                actual="not in the filtered list",
                exchanges=pages,
            )

    _judge(ocpi_context, judge)


@then("the filtered list holds the older objects and nothing updated at or after that moment")
def date_to_exclusive(ocpi_context: ScenarioContext) -> None:
    def judge(name: str, g: dict[str, Any]) -> None:
        pages: list[Exchange] = g["pages"]
        objects = [o for ex in pages for o in _items(ex)]
        for ex in pages:
            judged("date_filter", ex)
        late = [
            o
            for o in objects
            if (t := _lenient_time(o.get("last_updated") if isinstance(o, dict) else None)) and t >= g["moment"]
        ]
        if late:
            exact = [o for o in late if _lenient_time(o.get("last_updated")) == g["moment"]]
            what = (
                "the object updated exactly at date_to (treated as inclusive)"
                if exact and len(exact) == len(late)
                else "objects updated at or after it"
            )
            raise Finding(
                f"date_to={g['text']} returned {what}",
                check="date_to_exclusive",
                spec="transport_and_format.pagination",
                expected=f"only objects with last_updated < {g['text']}",
                actual=", ".join(_label(o) for o in late[:5]) + (" ..." if len(late) > 5 else ""),
                exchanges=pages,
            )
        found = {_identity(o) for o in objects}
        missing = [o for o in g["before"] if _identity(o) not in found]
        complete = all(len(_items(ex)) < _SCAN_LIMIT for ex in pages[-1:])
        if missing and complete:
            raise Finding(
                f"date_to={g['text']} left out objects updated before it",
                check="date_to_applied",
                spec="transport_and_format.pagination",
                expected=f"{_label(missing[0])} included",
                actual="not in the filtered list",
                exchanges=pages,
            )

    _judge(ocpi_context, judge)
