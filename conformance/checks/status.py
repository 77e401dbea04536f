"""HTTP status versus OCPI status_code: which pairs the specification allows.

OCPI-level errors (2xxx/3xxx) normally travel with HTTP 200 (maintainer position, ocpi/ocpi #528),
so HTTP 200 + 2001 is fine. What is never fine: a server error (5xx), an HTTP error status carrying
a success code, and the HTTP errors the spec names (400, 401, 405) being turned into something else.
"""

from __future__ import annotations

from conformance.checks._registry import check, fail
from conformance.checks.envelope import describe_answer, require_response
from conformance.model import Blocked, Exchange

__all__ = (
    "bad_request",
    "http_ocpi_consistent",
    "method_not_allowed",
    "no_server_error",
    "refusal_not_success",
    "token_refused",
    "unauthorized",
)


_describe = describe_answer


_REFUSED_AS = {
    403: "HTTP 403 Forbidden instead of 401: OCPI answers a missing, unknown or out-of-scope token with 401",
    404: "HTTP 404 Not Found instead of 401: the token was not checked, or the URL is not served as advertised",
    405: "HTTP 405 instead of 401: the method was judged before the token",
}


@check(spec="status_codes.http", fuzz=True)
def no_server_error(exchange: Exchange) -> None:
    """The target never answers with HTTP 5xx."""
    require_response(exchange)
    if exchange.status is not None and exchange.status >= 500:
        fail(
            "the target answered with a server error",
            expected="an OCPI answer (HTTP 2xx/4xx with envelope)",
            actual=_describe(exchange),
        )


@check(spec="status_codes.http", fuzz=True)
def http_ocpi_consistent(exchange: Exchange) -> None:
    """An HTTP error status never carries a 1xxx success code, and 5xx never happens."""
    no_server_error(exchange)
    code = exchange.ocpi_status
    if exchange.status is not None and exchange.status >= 400 and code is not None and 1000 <= code < 2000:
        fail(
            "an HTTP error carries an OCPI success code",
            expected="a 2xxx/3xxx/4xxx status_code with HTTP 4xx",
            actual=_describe(exchange),
        )


@check(spec="transport_and_format.authorization")
def unauthorized(exchange: Exchange) -> None:
    """A request with a missing, unknown or out-of-place token gets HTTP 401 (not a success)."""
    require_response(exchange)
    if exchange.status != 401:
        assert exchange.status is not None
        if 200 <= exchange.status < 300:
            message = "the request was served although its token should have been refused"
        else:
            message = _REFUSED_AS.get(exchange.status, "the request was not refused with HTTP 401")
        fail(message, expected="HTTP 401 Unauthorized", actual=_describe(exchange))
    code = exchange.ocpi_status
    if code is not None and 1000 <= code < 2000:
        fail("HTTP 401 carries an OCPI success code", expected="status_code 2xxx", actual=_describe(exchange))


@check(spec="credentials.update")
def token_refused(exchange: Exchange) -> None:
    """A token that should no longer work is refused (HTTP 401 or 403, no 1xxx status_code). Which of the two is
    ``unauthorized``'s rule, judged once by transport.unknown-token; here only "is it still accepted?" counts."""
    require_response(exchange)
    assert exchange.status is not None
    if 200 <= exchange.status < 300 or (exchange.ocpi_status is not None and 1000 <= exchange.ocpi_status < 2000):
        fail(
            "the token still opens the endpoint",
            expected="a refusal (HTTP 401, status_code 2xxx)",
            actual=_describe(exchange),
        )
    if exchange.status not in (401, 403):
        fail(
            _REFUSED_AS.get(exchange.status, "the token was not refused as a token"),
            expected="a refusal (HTTP 401, status_code 2xxx)",
            actual=_describe(exchange),
        )


@check(spec="status_codes.ocpi")
def refusal_not_success(exchange: Exchange) -> None:
    """A request that had to be refused is not answered with a 1xxx success code."""
    require_response(exchange)
    code = exchange.ocpi_status
    if code is not None and 1000 <= code < 2000:
        fail(
            "a request that had to be refused was answered with an OCPI success code",
            expected="HTTP 401 with a 2xxx status_code",
            actual=_describe(exchange),
        )


@check(spec="credentials.errors")
def method_not_allowed(exchange: Exchange) -> None:
    """The credentials call is refused with HTTP 405 in the caller's registration state."""
    require_response(exchange)
    if exchange.status != 405:
        fail(
            {
                401: "the request was refused with HTTP 401 (the token) instead of 405 (the registration state)",
                403: "the request was refused with HTTP 403 instead of 405 (the registration state)",
                404: "HTTP 404: the credentials URL does not serve this method as advertised (expected 405)",
            }.get(exchange.status or 0, "the request was not refused with HTTP 405"),
            expected="HTTP 405 Method Not Allowed",
            actual=_describe(exchange),
        )


@check(spec="status_codes.http")
def bad_request(exchange: Exchange) -> None:
    """A body that is not JSON gets HTTP 400 with an OCPI envelope carrying a 2xxx status_code."""
    require_response(exchange)
    if exchange.status != 400:
        fail(
            "malformed JSON was not answered with HTTP 400",
            expected="HTTP 400 with an OCPI envelope (2xxx)",
            actual=_describe(exchange)
            + (
                f", body {exchange.response_body[:80]!r}"
                if exchange.envelope() is None and exchange.response_body
                else ""
            ),
        )
    env = exchange.envelope()
    if env is None or "status_code" not in env:
        # HTTP 400 is right; the missing envelope is the envelope rule's to judge, once.
        raise Blocked(
            f"the HTTP 400 answer has no OCPI envelope ({describe_answer(exchange)})", "transport.envelope-error"
        )
    code = exchange.ocpi_status
    if code is None or not 2000 <= code < 3000:
        fail(
            "the HTTP 400 answer is not an OCPI client error",
            expected="an envelope with status_code 2xxx",
            actual=_describe(exchange),
        )
