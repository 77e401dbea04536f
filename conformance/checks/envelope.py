"""The OCPI response envelope: ``{data?, status_code, status_message?, timestamp}`` around every body."""

from __future__ import annotations

from conformance.checks._registry import check, fail
from conformance.client import why_unreachable
from conformance.model import Blocked, Exchange, NotJudged

__all__ = (
    "REDIRECT_SCENARIO",
    "describe_answer",
    "envelope",
    "json_content_type",
    "not_redirected",
    "redirect_text",
    "require_response",
    "success",
)


def describe_answer(exchange: Exchange) -> str:
    """``HTTP 401, status_code 2000 (message)``; an answer without the OCPI envelope is named as such."""
    code = exchange.ocpi_status
    env = exchange.envelope()
    if env is None or "status_code" not in env:
        ctype = exchange.header("content-type") or "no Content-Type"
        body = (exchange.response_body or "").strip()
        shown = f"{body[:100]!r}" if body else "an empty body"
        return f"HTTP {exchange.status} without the OCPI envelope ({ctype}: {shown})"
    msg = env.get("status_message")
    text = f"HTTP {exchange.status}, status_code {code if code is not None else 'absent'}"
    return text + (f" ({msg})" if msg else "")


REDIRECT_SCENARIO = "transport.no-redirects"
"""The one scenario that judges redirects; every other check stands aside when an answer is a redirect."""


def redirect_text(exchange: Exchange) -> str:
    """``HTTP 307 to <Location>`` for a redirect answer."""
    return f"HTTP {exchange.status} to {exchange.header('location') or '(no Location header)'}"


def require_response(exchange: Exchange) -> None:
    """Stand aside when the request got no HTTP response at all (NotJudged: the network's doing, not the target's)
    or when it got a redirect (Blocked).

    A 3xx is not the endpoint's answer: the harness never follows it (URLs are used exactly as advertised), and
    judging its body or headers would blame the endpoint for something else. The redirect itself is judged once, by
    ``transport.no-redirects``.
    """
    if exchange.status is None:
        raise NotJudged(f"no response from the target ({exchange.method} {exchange.url}): {why_unreachable(exchange)}")
    if 300 <= exchange.status < 400:
        raise Blocked(
            f"the advertised URL {exchange.url} answered with a redirect ({redirect_text(exchange)})", REDIRECT_SCENARIO
        )


@check(spec="transport_and_format.response_format", fuzz=True)
def envelope(exchange: Exchange) -> None:
    """The body is a JSON object with an integer 4-digit ``status_code`` and a ``timestamp``."""
    require_response(exchange)
    try:
        body = exchange.json()
    except ValueError:
        snippet = (exchange.response_body or "")[:120]
        fail(
            "the response body is not JSON",
            expected="an OCPI envelope (JSON object)",
            actual=f"{exchange.header('content-type') or 'no Content-Type'}: {snippet!r}",
        )
    if not isinstance(body, dict):
        fail(
            "the response body is not a JSON object",
            expected="an OCPI envelope",
            actual=f"a JSON {type(body).__name__}",
        )
    code = body.get("status_code")
    if "status_code" not in body:
        fail(
            "the answer is not wrapped in the OCPI envelope (no status_code)",
            expected="{status_code, status_message?, data?, timestamp}",
            actual=f"HTTP {exchange.status} without the OCPI envelope: {(exchange.response_body or '')[:120]!r}",
        )
    if not isinstance(code, int) or isinstance(code, bool):
        fail("status_code is not an integer", expected="4-digit integer", actual=repr(code))
    if not 1000 <= code <= 4999:
        fail(
            "status_code is not an OCPI status code",
            expected="1000-4999 (1xxx success, 2xxx-4xxx errors)",
            actual=str(code),
        )
    if "timestamp" not in body:
        fail("the envelope has no timestamp", expected="timestamp: DateTime", actual="absent")
    msg = body.get("status_message")
    if msg is not None and not isinstance(msg, str):
        fail("status_message is not a string", expected="string or absent", actual=repr(msg))


@check(spec="transport_and_format.json", fuzz=True)
def json_content_type(exchange: Exchange) -> None:
    """The response declares ``Content-Type: application/json``."""
    require_response(exchange)
    ctype = (exchange.header("content-type") or "").split(";")[0].strip().lower()
    if ctype != "application/json":
        fail(
            "the response is not declared as JSON",
            expected="Content-Type: application/json",
            actual=f"Content-Type: {exchange.header('content-type')}",
        )


@check(spec="status_codes.ocpi")
def success(exchange: Exchange, *, data: str | None = None) -> None:
    """A request that should succeed gets HTTP 2xx with a 1xxx status_code (and ``data`` of the right shape).

    ``data``: ``"list"``, ``"object"``, or None for no expectation.
    """
    require_response(exchange)
    env = exchange.envelope()
    code = exchange.ocpi_status
    if exchange.status is None or not 200 <= exchange.status < 300 or code is None or not 1000 <= code < 2000:
        fail(
            "a valid request was not answered with success",
            expected="HTTP 200/201 with status_code 1000",
            actual=describe_answer(exchange),
        )
    got = env.get("data")  # type: ignore[union-attr]
    if data == "list" and isinstance(got, dict):  # the wrong shape is transport.data-shape's to judge
        raise Blocked("the answer's data is an object where a list is defined", "transport.data-shape")
    if data == "list" and not isinstance(got, list):
        fail("`data` is not a list", expected="a JSON array of objects", actual=type(got).__name__)
    if data == "object" and isinstance(got, list):
        from conformance.checks.shape import one_object

        got = one_object(exchange)
    if data == "object" and not isinstance(got, dict):
        fail("`data` is not an object", expected="a JSON object", actual=type(got).__name__)


@check(spec="transport_and_format.response_format", fuzz=True)
def not_redirected(exchange: Exchange) -> None:
    """An advertised URL answers itself: no HTTP 3xx redirect (the URLs in version details are the ones to call)."""
    if exchange.status is None:
        raise NotJudged(f"no response from the target ({exchange.method} {exchange.url}): {why_unreachable(exchange)}")
    if 300 <= exchange.status < 400:
        fail(
            "the advertised URL answered with a redirect instead of an OCPI answer",
            expected="the OCPI answer at the URL exactly as advertised (no 3xx)",
            actual=redirect_text(exchange),
        )
