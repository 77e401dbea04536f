"""Response bodies against openapi.yaml, the harness's oracle."""

from __future__ import annotations

from conformance.checks._registry import NOT_JUDGED, check, fail
from conformance.checks.envelope import require_response
from conformance.checks.shape import DATA_SHAPE_SCENARIO, one_object
from conformance.model import Blocked, Exchange
from conformance.oracle import Operation, get_oracle

__all__ = ("response_schema",)


@check(spec="openapi")
def response_schema(exchange: Exchange, *, operation: Operation) -> object:
    """The body matches the response schema openapi.yaml gives for this operation and HTTP status.

    Statuses openapi.yaml does not describe are not judged here (other checks cover them). ``data`` of the wrong JSON
    type is transport.data-shape's to judge: an object in a one-element list is validated as that object, any other
    mismatch stands aside naming that scenario.
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
    shape = oracle.data_shape(operation, exchange.status)
    data = body.get("data") if isinstance(body, dict) else None
    if shape == "object" and isinstance(data, list):  # the shape is transport.data-shape's; the content is read here
        body = {**body, "data": one_object(exchange)}
    elif shape == "array" and isinstance(data, dict):
        raise Blocked("the answer's data is an object where a list is defined", DATA_SHAPE_SCENARIO)
    errors = oracle.validate_pointer(pointer, body)
    if errors:
        fail(
            f"the response does not match openapi.yaml ({operation.method} {operation.path} → {exchange.status})",
            expected=f"schema #{pointer}",
            actual="\n            ".join(errors),
        )
    return None
