"""Inline SVG charts of the last hour: nothing to load, nothing to run, readable at any width (the SVG scales)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

WIDTH = 600
HEIGHT = 120
_TOP = 8


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    title: str


@dataclass(frozen=True, slots=True)
class Chart:
    """What the template draws: bars in a ``WIDTH`` x ``HEIGHT`` box, the scale's top value and a summary line."""

    title: str
    unit: str
    bars: list[Bar]
    top: str
    summary: str
    empty: bool
    width: int = WIDTH
    height: int = HEIGHT


def _nice(value: float) -> float:
    """The smallest 1/2/5 x 10^n at or above ``value`` (a readable top of the scale)."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def bar_chart(title: str, unit: str, points: list[tuple[int, float | None]], summary: str) -> Chart:
    """``points``: (minute start in epoch seconds, value or None when there was nothing to measure), oldest first."""
    values = [v for _, v in points if v is not None]
    top = _nice(max(values, default=0.0))
    slot = WIDTH / max(len(points), 1)
    bars = []
    for index, (start, value) in enumerate(points):
        if not value:
            continue
        height = (HEIGHT - _TOP) * value / top
        stamp = time.strftime("%H:%M", time.gmtime(start))
        shown = f"{value:.0f}" if value >= 10 else f"{value:.2g}"
        bars.append(
            Bar(
                x=round(index * slot + 1, 1),
                y=round(HEIGHT - height, 1),
                width=round(max(slot - 2, 1), 1),
                height=round(height, 1),
                title=f"{stamp} UTC: {shown} {unit}",
            )
        )
    top_text = f"{top:.0f}" if top >= 10 else f"{top:.3g}"
    return Chart(title=title, unit=unit, bars=bars, top=top_text, summary=summary, empty=not any(values))


__all__ = ("Bar", "Chart", "bar_chart")
