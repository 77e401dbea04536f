"""Inline SVG charts: nothing to load, nothing to run, readable at any width (the SVG scales). Each has a labelled
value axis with gridlines and a time axis in UTC."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from reference_hub.hub.traffic import Bucket

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
class Line:
    name: str
    """The legend's word (p50, p95, p99)."""
    points: str
    """SVG polyline points; several runs when there are gaps."""
    runs: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Tick:
    at: float
    """y for a value tick, x for a time tick, in the chart's box."""
    label: str


@dataclass(frozen=True, slots=True)
class Chart:
    """What the template draws: bars or lines in a ``WIDTH`` x ``HEIGHT`` box, the scale's top value, axis ticks and a
    summary line."""

    title: str
    unit: str
    bars: list[Bar]
    top: str
    summary: str
    empty: bool
    width: int = WIDTH
    height: int = HEIGHT
    lines: list[Line] = field(default_factory=list)
    yticks: list[Tick] = field(default_factory=list)
    xticks: list[Tick] = field(default_factory=list)


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


def _shown(value: float) -> str:
    return f"{value:.0f}" if value >= 10 else f"{value:.2g}"


def _ticks(top: float, starts: Sequence[int], size: int) -> tuple[list[Tick], list[Tick]]:
    """Value ticks at 0, half and the top; time ticks at five evenly spaced bucket starts and the end."""
    yticks = [Tick(round(HEIGHT - (HEIGHT - _TOP) * f, 1), _shown(top * f)) for f in (0.0, 0.5, 1.0)]
    slot = WIDTH / max(len(starts), 1)
    xticks = []
    for index in range(0, len(starts), max(len(starts) // 4, 1)):
        xticks.append(Tick(round(index * slot, 1), time.strftime("%H:%M", time.gmtime(starts[index]))))
    end = starts[-1] + size if starts else 0
    xticks.append(Tick(WIDTH, time.strftime("%H:%M", time.gmtime(end))))
    return yticks, xticks


def percentile_chart(title: str, buckets: list[Bucket], size: int, summary: str) -> Chart:
    """p50, p95 and p99 latency per bucket, as three lines (gaps where nothing was sent)."""
    quantiles = {name: [b.quantile(q) for b in buckets] for name, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))}
    values = [v for series in quantiles.values() for v in series if v is not None]
    top = _nice(max(values, default=0.0))
    slot = WIDTH / max(len(buckets), 1)
    lines = []
    for name, series in quantiles.items():
        runs: list[list[str]] = [[]]
        for index, value in enumerate(series):
            if value is None:
                if runs[-1]:
                    runs.append([])
                continue
            y = HEIGHT - (HEIGHT - _TOP) * value / top
            # A step across the bucket's whole width: a lone busy minute still shows as a visible line.
            runs[-1] += [f"{index * slot:.1f},{y:.1f}", f"{(index + 1) * slot:.1f},{y:.1f}"]
        kept = [" ".join(run) for run in runs if run]
        lines.append(Line(name=name, points=kept[0] if kept else "", runs=kept))
    yticks, xticks = _ticks(top, [b.start for b in buckets], size)
    return Chart(
        title=title,
        unit="ms",
        bars=[],
        top=_shown(top),
        summary=summary,
        empty=not values,
        lines=lines,
        yticks=yticks,
        xticks=xticks,
    )


def error_chart(title: str, buckets: list[Bucket], size: int, summary: str) -> Chart:
    """The share of requests not answered 1000, per bucket, in per cent."""
    rates = [None if b.error_rate is None else 100 * b.error_rate for b in buckets]
    values = [v for v in rates if v is not None]
    top = _nice(max(values, default=0.0)) if any(values) else 1.0
    top = min(top, 100.0)
    slot = WIDTH / max(len(buckets), 1)
    bars = []
    for index, (bucket, rate) in enumerate(zip(buckets, rates, strict=True)):
        if not rate:
            continue
        height = (HEIGHT - _TOP) * rate / top
        stamp = time.strftime("%H:%M", time.gmtime(bucket.start))
        bars.append(
            Bar(
                x=round(index * slot + 1, 1),
                y=round(HEIGHT - height, 1),
                width=round(max(slot - 2, 1), 1),
                height=round(height, 1),
                title=f"{stamp} UTC: {rate:.1f} % of {bucket.sent} failed",
            )
        )
    yticks, xticks = _ticks(top, [b.start for b in buckets], size)
    return Chart(
        title=title,
        unit="%",
        bars=bars,
        top=_shown(top),
        summary=summary,
        empty=not values,
        yticks=yticks,
        xticks=xticks,
    )


__all__ = ("Bar", "Chart", "Line", "Tick", "bar_chart", "error_chart", "percentile_chart")
