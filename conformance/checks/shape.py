"""The shape of ``data``: an object where the operation answers one, a list where it answers a list.

One scenario judges shapes (``transport.data-shape``, over every successful answer of the run). Every other scenario
reads the content when it is unambiguous (an object wrapped in a one-element list is read as that object, and the
reading is recorded among what the scenario checked) and judges its own rule on it; an answer whose content cannot be
read as the one object it should hold stands aside, naming the shape scenario.
"""

from __future__ import annotations

from typing import Any

from conformance.checks._registry import check, fail, judged
from conformance.model import Blocked, Exchange

__all__ = ("DATA_SHAPE_SCENARIO", "UNWRAPPED", "data_shape", "one_object")

DATA_SHAPE_SCENARIO = "transport.data-shape"

UNWRAPPED = "data_read_from_a_one_element_list"
"""What a scenario's ``checked:`` note shows when it read an object out of a one-element list."""


def _success(exchange: Exchange) -> bool:
    code = exchange.ocpi_status
    return exchange.status is not None and 200 <= exchange.status < 300 and code is not None and 1000 <= code < 2000


def one_object(exchange: Exchange, *, quiet: bool = False) -> dict[str, Any] | None:
    """The one object ``data`` holds: the object itself, or the element of a one-element list (read, and noted). A
    successful answer with a list of another length, or a list of something else, stands aside (Blocked) naming the
    shape scenario; None when there is no object at all (no data, or not a success). ``quiet``: only read (no note,
    never Blocked), for code that decides what to do next rather than judging."""
    data = exchange.data
    if isinstance(data, dict):
        return data
    if isinstance(data, list) and len(data) == 1 and isinstance(data[0], dict):
        if not quiet:
            judged(UNWRAPPED, exchange)
        return data[0]
    if quiet:
        return None
    if isinstance(data, list) and _success(exchange):
        raise Blocked(
            f"the answer's data is a list of {len(data)} where one object is defined, so its content cannot be read",
            DATA_SHAPE_SCENARIO,
        )
    return None


@check(spec="transport_and_format.response_format")
def data_shape(exchange: Exchange, *, expected: str) -> None:
    """A successful answer's ``data`` is the JSON type its operation defines (``object`` or ``array``)."""
    data = exchange.data
    if data is None:
        return
    got = "array" if isinstance(data, list) else "object" if isinstance(data, dict) else type(data).__name__
    if got != expected:
        shown = f"a list of {len(data)}" if isinstance(data, list) else f"a JSON {got}"
        fail(
            f"data is {shown} where the operation answers {'one object' if expected == 'object' else 'a list'}",
            expected=f"data: {'an object' if expected == 'object' else 'a list'}",
            actual=f"data: {shown}",
        )
