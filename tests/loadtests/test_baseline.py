"""``python -m loadtests.bench --baseline DIR``: this checkout's hub against another checkout's, read round by round.

The end-to-end test gives the comparison a baseline that is measurably dearer: a copy of this checkout whose
authentication hook burns half a millisecond of CPU per request. Both hubs, the bare endpoint, the load-test eMSPs
and Locust are real processes on loopback, with a few parties, a few hundred tokens and short rounds.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from loadtests.bench import Settings
from loadtests.bench_baseline import BaselineBench, check_baseline, paired, render
from loadtests.run import ROOT

BURN = """

import time as _time

_authenticate_as_checked_in = authenticate


async def authenticate(request):  # type: ignore[no-redef]  # the baseline of the test: 0.5 ms of CPU dearer
    until = _time.process_time() + 0.0005
    while _time.process_time() < until:
        pass
    return await _authenticate_as_checked_in(request)
"""


def test_pairs_each_round_and_reads_the_median_of_the_rounds_ratios() -> None:
    rounds = [
        {"ours:server_us": 80.0, "baseline:server_us": 100.0},
        {"ours:server_us": 90.0, "baseline:server_us": 90.0},
        {"ours:server_us": 60.0, "baseline:server_us": 100.0},
        {"ours:server_us": 70.0, "baseline:server_us": 0.0},  # the baseline measured nothing in this round
    ]
    figure = paired(rounds, "server_us")
    assert figure["ratios"] == [0.8, 1.0, 0.6, None]
    assert figure["median_ratio"] == 0.8  # of the three rounds measured on both sides, not a ratio of medians
    assert figure["rounds_left_out"] == 1
    assert paired([{"ours:rps": 1.0}], "rps")["median_ratio"] is None


def test_the_report_shows_every_round_and_says_what_was_left_out() -> None:
    rounds = [{"ours:server_us": 80.0, "baseline:server_us": 100.0, "ours:other_cores": 0.3}]
    empty = paired([], "rps")
    data = {
        "started": "2026-12-06 00:00 UTC",
        "command": "python -m loadtests.bench --baseline ../base",
        "machine": {"commit": "abc1234", "nproc": 2, "loadavg_at_start": "0.10 0.20 0.30"},
        "baseline": {"path": "../base", "commit": "def5678"},
        "settings": {"repeats": 1, "duration": 15},
        "figures": {
            "token_cpu": {**paired(rounds, "server_us"), "bare": [70.0]},
            "token_rps": empty,
            "routed_cpu": paired([*rounds, {"ours:server_us": 1.0}], "server_us"),
            "routed_rps": empty,
        },
        "token_rounds": rounds,
        "routed_rounds": [],
    }
    text = render(data)
    assert "| token validation: server CPU per request (µs) | 80.0 | 100.0 | 0.800 | **0.800** |" in text
    assert "(1 round(s) measured nothing)" in text
    assert "commit abc1234" in text and "../base (commit def5678)" in text
    assert "at most 0.30 cores" in text and "70 µs per request" in text


def test_refuses_a_folder_that_is_not_another_checkout(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a checkout of this project"):
        check_baseline(tmp_path)
    with pytest.raises(ValueError, match="that is this checkout"):
        check_baseline(ROOT)
    cli = subprocess.run(
        [sys.executable, "-m", "loadtests.bench", "--baseline", str(tmp_path), "--results", str(tmp_path / "r")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert cli.returncode == 2, cli.stderr
    assert "not a checkout of this project" in cli.stderr
    assert not (tmp_path / "r").exists()  # refused before anything ran


@pytest.mark.e2e
@pytest.mark.slow
def test_a_dearer_baseline_reads_as_dearer_in_both_phases(tmp_path: Path) -> None:
    base = tmp_path / "base"
    shutil.copytree(ROOT / "reference_hub", base / "reference_hub", ignore=shutil.ignore_patterns("__pycache__"))
    hook = base / "reference_hub" / "api" / "auth.py"
    hook.write_text(hook.read_text() + BURN)
    # Two rounds of 3 s: on a machine busy with other tests, starting Locust's users can take most of a short round,
    # and a round whose window after the last user started counted no request on one side gives no ratio (the
    # report says so). The comparison is read on the rounds that measured both sides, at least one.
    settings = Settings(duration=3, repeats=2, small=20, rta_tokens=300, max_users=8, routed_users=8)
    bench = BaselineBench(settings, tmp_path / "results", tmp_path / "unused.md", "test", base)
    data = bench.run()

    assert not bench.failed(data), data["measurements"]
    tokens, routed = data["figures"]["token_cpu"], data["figures"]["routed_cpu"]
    for figure in (tokens, routed):
        assert figure["rounds_left_out"] < 2, figure  # at least one round measured both sides
    # 500 µs more per request on the baseline's side, against about 80 (tokens) and 500 (routed) for this checkout:
    # only the copy's code can have made the baseline that much dearer.
    for ours, base in zip(tokens["ours"], tokens["baseline"], strict=True):
        if ours and base:
            assert base - ours > 250, tokens
    assert tokens["median_ratio"] is not None and tokens["median_ratio"] < 0.6, tokens
    assert routed["median_ratio"] is not None and routed["median_ratio"] < 0.85, routed
    assert any(r["bare:server_us"] > 0 for r in data["token_rounds"])
    report = (tmp_path / "results" / "baseline.md").read_text()
    assert "| routed authorization: hub CPU per request (µs) |" in report
    assert (tmp_path / "results" / "bench-baseline.json").is_file()
    assert not (tmp_path / "unused.md").exists()  # BENCHMARKS.md (here: --out) is left as it is
