"""The OCPI DateTime type.

OCPI DateTime is RFC 3339 restricted to UTC: ``YYYY-MM-DDTHH:MM:SS`` with optional fractional seconds and an optional
``Z``; a value without ``Z`` is UTC, and numeric offsets (``+00:00`` included) are not OCPI forms. msgspec's native
datetime handling accepts offsets and emits microseconds (27 characters, over OCPI's 25), so wire models type these
fields as :class:`DateTime`, a ``datetime`` subclass that msgspec hands to :func:`dec_hook` / :func:`enc_hook`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

_PATTERN = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?Z?$")


class DateTime(datetime):
    """A UTC moment that parses and prints in OCPI form."""

    @classmethod
    def parse(cls, text: str) -> DateTime:
        """Parse an OCPI DateTime; raise ValueError with a reason otherwise."""
        match = _PATTERN.match(text)
        if match is None:
            raise ValueError(f"{text!r} is not an OCPI DateTime (UTC, YYYY-MM-DDTHH:MM:SS[.fff][Z], no numeric offset)")
        year, month, day, hour, minute, second, fraction = match.groups()
        micro = int((fraction + "00000")[:6]) if fraction else 0
        try:
            return cls(int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tzinfo=UTC)
        except ValueError as exc:
            raise ValueError(f"{text!r} is not an OCPI DateTime: {exc}") from None

    @classmethod
    def from_datetime(cls, value: datetime) -> DateTime:
        """Convert any datetime (naive = UTC) to a DateTime in UTC."""
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return cls(
            value.year, value.month, value.day, value.hour, value.minute, value.second, value.microsecond, tzinfo=UTC
        )

    def to_ocpi(self, *, offset_form: bool = False) -> str:
        """``YYYY-MM-DDTHH:MM:SSZ``, with milliseconds only when they are not zero (at most 24 characters).

        ``offset_form`` prints ``+00:00`` instead of ``Z``: a deliberately wrong form used by the hub's fault switch.
        """
        utc = self.astimezone(UTC) if self.tzinfo is not None else self
        # Formatted by hand: strftime's %Y does not pad years before 1000 to four digits on every platform.
        text = f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}"
        millis = utc.microsecond // 1000
        if millis:
            text += f".{millis:03d}"
        return text + ("+00:00" if offset_form else "Z")


def sortable(value: datetime, *, zulu: bool = False) -> str:
    """Fixed-width text of a moment in UTC with microseconds (``zulu`` adds ``Z``): text order is time order, which
    is what the stores' keys and comparisons rely on. Every year has four digits (strftime's ``%Y`` does not pad
    years before 1000 on glibc)."""
    utc = value.astimezone(UTC) if value.tzinfo is not None else value
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}"
        f".{utc.microsecond:06d}{'Z' if zulu else ''}"
    )


def now() -> DateTime:
    """The current moment, truncated to whole seconds (what the hub stamps on objects and envelopes)."""
    return DateTime.from_datetime(datetime.now(UTC).replace(microsecond=0))


def dec_hook(type_: type, obj: Any) -> Any:
    """msgspec decode hook: turns JSON strings into :class:`DateTime`."""
    if type_ is DateTime:
        if not isinstance(obj, str):
            raise TypeError(f"Expected an OCPI DateTime string, got `{type(obj).__name__}`")
        return DateTime.parse(obj)
    raise NotImplementedError(f"no decoder for {type_!r}")


def enc_hook(obj: Any) -> Any:
    """msgspec encode hook: prints :class:`DateTime` in OCPI form."""
    if isinstance(obj, DateTime):
        return obj.to_ocpi()
    raise NotImplementedError(f"cannot encode {type(obj)!r}")


def offset_enc_hook(obj: Any) -> Any:
    """Like :func:`enc_hook` but with ``+00:00``; only for the ``offset_timestamps`` fault switch."""
    if isinstance(obj, DateTime):
        return obj.to_ocpi(offset_form=True)
    raise NotImplementedError(f"cannot encode {type(obj)!r}")


__all__ = ("DateTime", "dec_hook", "enc_hook", "now", "offset_enc_hook", "sortable")
