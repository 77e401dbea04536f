"""The benchmark's charts are drawn from a run's figures (the figures here are made up: only the drawing is tested)."""

from __future__ import annotations

from pathlib import Path

import pytest

from loadtests.bench import with_charts
from loadtests.charts import CHARTS, draw

pytest.importorskip("matplotlib", reason="the charts need the bench extra (matplotlib)")

ROW = {"p50": 1.0, "p95": 3.0, "p99": 9.0, "other_cores": 0.1}
RATES = (50, 100, 200, 400, 800)
DATA = {
    "settings": {"rate": 1000},
    "summary": {f"{t}/{k}": ROW for t in ("bare", "hub-1k", "hub-100k") for k in ("max", "fixed-rate")},
    "token_curve": [{"rate": r, "bare": {**ROW, "rps": r}, "hub-1k": {**ROW, "rps": min(r, 600)}} for r in RATES],
    "authorize": {
        "users": 32,
        "hub": {**ROW, "rps": 500},
        "emsp": {**ROW, "rps": 1500},
        "curve": [{"rate": r, "hub": {**ROW, "rps": min(r, 500)}, "emsp": {**ROW, "rps": r}} for r in RATES],
    },
    "push": {
        "rate": 200,
        "receivers": 4,
        "answer": ROW,
        "deliveries": {"acknowledged": 10, "missing": 0, "duplicated": 0, "end_to_end_ms": ROW, "after_ack_ms": ROW},
    },
    "fanout": {
        "plan": {"receivers": 50, "rate": 50, "down": 60},
        "fanout": {"series": {"t": [0, 1, 2], "p50": [5.0, 6.0, 5.0], "p99": [20.0, 30.0, 25.0], "max": [40, 50, 45]}},
        "backlog": {
            "stopped_s": 1.0,
            "restarted_s": 2.0,
            "drain": {"backlog": 100, "per_s": 900.0},
            "series_others": {"t": [0, 1, 2, 3], "p50": [5.0, 5.0, 6.0, 5.0], "p99": [20.0, 21.0, 30.0, 20.0]},
            "series_returning": {"t": [0, 1, 2, 3], "max": [6.0, 1000.0, 90.0, 7.0]},
        },
    },
}


def test_every_chart_is_drawn_as_a_png(tmp_path: Path) -> None:
    written = draw(DATA, tmp_path)
    assert [p.name for p in written] == list(CHARTS)
    for path in written:
        assert path.read_bytes().startswith(b"\x89PNG")


def test_a_run_without_some_figures_draws_only_what_it_has(tmp_path: Path) -> None:
    assert [p.name for p in draw({"authorize": DATA["authorize"]}, tmp_path)] == [
        "authorization.png",
        "authorization-load.png",
    ]
    no_curve = {k: v for k, v in DATA["authorize"].items() if k != "curve"}
    assert [p.name for p in draw({"authorize": no_curve}, tmp_path / "older")] == ["authorization.png"]


def test_the_report_shows_the_charts_beside_it(tmp_path: Path) -> None:
    data = with_charts(DATA, tmp_path / "BENCHMARKS.md")
    assert data["charts"] == [f"docs/bench/{name}" for name in CHARTS]
    assert all((tmp_path / "docs" / "bench" / name).exists() for name in CHARTS)
