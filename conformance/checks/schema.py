"""Response bodies against openapi.yaml, the harness's oracle."""

from __future__ import annotations

from conformance.checks._registry import NOT_JUDGED, check, fail
from conformance.checks.envelope import require_response
from conformance.model import Exchange
from conformance.oracle import Operation, get_oracle

__all__ = ("response_schema",)


@check(spec="openapi")
def response_schema(exchange: Exchange, *, operation: Operation) -> object:
    """The body matches the response schema openapi.yaml gives for this operation and HTTP status.

    Statuses openapi.yaml does not describe are not judged here (other checks cover them).
    """
    require_response(exchange)
    oracle = get_oracle()
    assert exchange.status is not None
    pointer = oracle.response_pointer(operation, exchange.status)
    if pointer is None:
        return NOT_JUDGED
    try:
        body = exchange.json()
    except ValueError:
        fail(
            "the response body is not JSON",
            expected="JSON matching openapi.yaml",
            actual=(exchange.response_body or "")[:120],
        )
    errors = oracle.validate_pointer(pointer, body)
    if errors:
        fail(
            f"the response does not match openapi.yaml ({operation.method} {operation.path} → {exchange.status})",
            expected=f"schema #{pointer}",
            actual="\n            ".join(errors),
        )
    return None
