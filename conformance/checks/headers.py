"""Transport headers: request and correlation ids, and routing headers where they do not belong."""

from __future__ import annotations

from conformance.checks._registry import check, fail
from conformance.checks.envelope import require_response
from conformance.model import Exchange

__all__ = (
    "ROUTING_HEADERS",
    "correlation_id_echo",
    "no_routing_headers",
    "request_id_echo",
    "routing_headers_swapped",
)

ROUTING_HEADERS = ("OCPI-to-party-id", "OCPI-to-country-code", "OCPI-from-party-id", "OCPI-from-country-code")


def _echoed(exchange: Exchange, name: str) -> None:
    """The response carries the request's header ``name`` unchanged (when the request had one)."""
    require_response(exchange)
    sent = exchange.request_header(name)
    if not sent:
        return
    got = exchange.header(name)
    if got != sent:
        fail(
            f"{name} was not echoed",
            expected=f"{name}: {sent}",
            actual=f"{name}: {got}" if got is not None else f"no {name} header",
        )


@check(spec="transport_and_format.unique_message_ids", fuzz=True)
def request_id_echo(exchange: Exchange) -> None:
    """The response carries the request's ``X-Request-ID`` unchanged."""
    _echoed(exchange, "X-Request-ID")


@check(spec="transport_and_format.unique_message_ids", fuzz=True)
def correlation_id_echo(exchange: Exchange) -> None:
    """The response carries the request's ``X-Correlation-ID`` unchanged."""
    _echoed(exchange, "X-Correlation-ID")


@check(spec="transport_and_format.message_routing")
def no_routing_headers(exchange: Exchange) -> None:
    """A configuration-module response (versions, credentials, hubclientinfo) has no OCPI-to/from headers."""
    require_response(exchange)
    present = [f"{h}: {exchange.header(h)}" for h in ROUTING_HEADERS if exchange.header(h) is not None]
    if present:
        fail(
            "a configuration-module response carries routing headers",
            expected="no OCPI-to-*/OCPI-from-* headers",
            actual="; ".join(present),
        )


@check(spec="transport_and_format.message_routing")
def routing_headers_swapped(exchange: Exchange) -> None:
    """A functional-module response carries the routing headers of its request, TO and FROM swapped: TO names the
    party that asked, FROM the party that answers (the one the request addressed, when it addressed one)."""
    require_response(exchange)
    pairs = {
        "OCPI-to-country-code": exchange.request_header("OCPI-from-country-code"),
        "OCPI-to-party-id": exchange.request_header("OCPI-from-party-id"),
        "OCPI-from-country-code": exchange.request_header("OCPI-to-country-code"),
        "OCPI-from-party-id": exchange.request_header("OCPI-to-party-id"),
    }
    wrong = []
    for name in ROUTING_HEADERS:
        got = exchange.header(name)
        want = pairs[name]
        if got is None:
            wrong.append(f"no {name}")
        elif want is not None and got.upper() != want.upper():
            wrong.append(f"{name}: {got} (expected {want})")
    if wrong:
        fail(
            "a functional-module response does not carry the routing headers back to the requester",
            expected="; ".join(f"{k}: {v or '(the answering party)'}" for k, v in pairs.items()),
            actual="; ".join(wrong),
        )
