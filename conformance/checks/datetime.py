"""OCPI DateTime: UTC, ``YYYY-MM-DDTHH:MM:SS``, optional fraction, optional ``Z``; never ``+00:00``."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from conformance.checks._registry import check, fail
from conformance.checks.envelope import require_response
from conformance.model import Blocked, Exchange

__all__ = (
    "DATETIME_FIELDS",
    "body_datetimes",
    "format_ocpi_datetime",
    "is_ocpi_datetime",
    "parse_ocpi_datetime",
    "timestamp_format",
)

_PATTERN = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?Z?$")

DATETIME_FIELDS = frozenset({"last_updated", "start_date_time", "end_date_time", "timestamp", "expiry_date"})
"""Object fields that are DateTime in every OCPI 2.3.0 object that has them (checked wherever they appear)."""


def is_ocpi_datetime(value: Any) -> bool:
    """True for an allowed DateTime string that names a real moment (at most 25 characters)."""
    if not isinstance(value, str) or len(value) > 25:
        return False
    try:
        parse_ocpi_datetime(value)
    except ValueError:
        return False
    return True


def parse_ocpi_datetime(value: str) -> datetime:
    """Parse an OCPI DateTime (no zone means UTC) into an aware UTC datetime; ValueError otherwise."""
    m = _PATTERN.match(value)
    if not m:
        raise ValueError(f"not an OCPI DateTime: {value!r}")
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    fraction = m.group(7) or ""
    micro = int((fraction[1:] + "000000")[:6]) if fraction else 0
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)


def format_ocpi_datetime(moment: datetime, *, millis: bool = False) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ`` (optionally with milliseconds) for an aware or UTC-naive datetime."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if millis:
        text += f".{moment.microsecond // 1000:03d}"
    return text + "Z"


def shift(value: str, seconds: float) -> str:
    """An OCPI DateTime ``seconds`` later (negative: earlier), keeping millisecond precision if any."""
    moment = parse_ocpi_datetime(value) + timedelta(seconds=seconds)
    return format_ocpi_datetime(moment, millis=bool(moment.microsecond))


def _explain(value: Any) -> str:
    if not isinstance(value, str):
        return f"{value!r} is a {type(value).__name__}, not a string"
    if re.search(r"[+-]\d{2}:?\d{2}$", value):
        return f"{value!r} carries a numeric UTC offset; OCPI allows only a trailing Z or no zone"
    if len(value) > 25:
        return f"{value!r} is {len(value)} characters; DateTime is at most 25"
    return f"{value!r} is not of the form YYYY-MM-DDTHH:MM:SS[.fff][Z]"


@check(spec="types.datetime", fuzz=True)
def timestamp_format(exchange: Exchange) -> None:
    """The envelope's ``timestamp`` is an OCPI DateTime in UTC (``Z`` or no zone, no ``+00:00``)."""
    require_response(exchange)
    env = exchange.envelope()
    if env is None or "status_code" not in env:
        # Judged once, by the envelope scenarios: without an envelope there is no timestamp to judge.
        owner = "transport.envelope-error" if (exchange.status or 0) >= 400 else "transport.envelope-success"
        raise Blocked(f"the answer of {exchange.url} has no OCPI envelope, so no timestamp to check", owner)
    if "timestamp" not in env:
        fail("the envelope has no timestamp", expected="a `timestamp` DateTime", actual="absent")
    if not is_ocpi_datetime(env["timestamp"]):
        fail(
            "the envelope timestamp is not an OCPI DateTime",
            expected="e.g. 2025-02-21T10:00:00Z",
            actual=_explain(env["timestamp"]),
        )


def _walk(node: Any, path: str, out: list[tuple[str, Any]]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            sub = f"{path}.{key}"
            if key in DATETIME_FIELDS and value is not None and not isinstance(value, dict | list):
                out.append((sub, value))
            else:
                _walk(value, sub, out)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            _walk(item, f"{path}[{i}]", out)


@check(spec="types.datetime", fuzz=True)
def body_datetimes(exchange: Exchange) -> None:
    """Every DateTime field inside ``data`` (``last_updated``, ``start_date_time``, ...) is an OCPI DateTime."""
    env = exchange.envelope()
    if env is None or env.get("data") is None:
        return
    found: list[tuple[str, Any]] = []
    _walk(env["data"], "data", found)
    bad = [(p, v) for p, v in found if not is_ocpi_datetime(v)]
    if bad:
        shown = "; ".join(f"{p} = {_explain(v)}" for p, v in bad[:5])
        more = f" (and {len(bad) - 5} more)" if len(bad) > 5 else ""
        fail(
            f"{len(bad)} DateTime value(s) in the response are not OCPI DateTimes{more}",
            expected="UTC DateTime with Z or no zone",
            actual=shown,
        )
