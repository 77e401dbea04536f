"""The load tests' data helpers and run specification (plain Python: no Locust in this process)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from loadtests import data
from loadtests.run import ROOT, RunSpec, match_deliveries, parse_duration


def test_token_files_skip_the_invite_header_comments_and_blanks(tmp_path: Path) -> None:
    path = tmp_path / "tokens.txt"
    path.write_text("Registration token A (single use). Versions URL: http://x\n\n# note\ntok-1\n  tok-2  \n")
    assert data.read_tokens(path) == ["tok-1", "tok-2"]


def test_workers_take_disjoint_shares() -> None:
    items = list(range(10))
    shares = [data.share(items, i, 3) for i in range(3)]
    assert sorted(x for s in shares for x in s) == items
    assert data.share(items, 0, 1) == items


def test_party_ids_are_unique_three_alphanumerics() -> None:
    ids = [data.party_id(i) for i in range(2000)]
    assert len(set(ids)) == 2000
    assert all(len(p) == 3 and set(p) <= set(data.ALNUM) for p in ids)
    assert data.party_id(46655) == "ZZZ"
    with pytest.raises(ValueError):
        data.party_id(46656)


def test_party_country_is_two_letters_stable_per_file() -> None:
    code = data.party_country(["a", "b"])
    assert len(code) == 2 and code.isalpha() and code.isupper() and code[0] >= "Q"
    assert code == data.party_country(["a", "b"])


def test_authorization_is_base64_of_the_token() -> None:
    assert data.authorization("abc") == "Token YWJj"


@pytest.mark.parametrize(("text", "seconds"), [("30", 30), ("30s", 30), ("2m", 120), ("1m30s", 90), ("1h", 3600)])
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


def test_command_is_bounded_and_names_the_scenario(tmp_path: Path) -> None:
    spec = RunSpec(
        scenario="token",
        results=tmp_path,
        name="t",
        versions_url="http://127.0.0.1:1/ocpi/versions",
        users=3,
        run_time=4,
        options={"tokens": "x.txt", "unknown_share": 0.2, "rate": None},
    )
    cmd = spec.command()
    assert cmd[-1] == "TokenValidationUser"
    assert cmd[cmd.index("--users") + 1] == "3" and cmd[cmd.index("--run-time") + 1] == "4s"
    assert cmd[cmd.index("--host") + 1] == "http://127.0.0.1:1"
    assert "--unknown-share" in cmd and "--rate" not in cmd


def test_the_runner_and_the_benchmark_never_import_locust() -> None:
    """gevent's monkey patching must stay out of pytest and of the benchmark's own process."""
    code = (
        "import sys, loadtests.run, loadtests.bench, loadtests.checks, loadtests.data;"
        "bad = [m for m in ('locust', 'gevent') if m in sys.modules]; sys.exit(str(bad) if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr or result.stdout


def test_deliveries_are_matched_per_receiver() -> None:
    """Unit test on synthetic records: missing pushes, retries under one X-Request-ID and duplicates under two."""
    acked = [("L1", 10.0, 10.010), ("L2", 11.0, 11.010), ("L3", 12.0, 12.010)]
    received = {
        "ZZ/AAA": [("L1", 10.020, "r1"), ("L2", 11.030, "r2"), ("L3", 12.040, "r3"), ("OTHER", 1.0, "x")],
        "ZZ/BBB": [("L1", 10.050, "r1"), ("L1", 10.090, "r1"), ("L2", 11.020, "r2"), ("L2", 11.025, "r9")],
    }
    result = match_deliveries(acked, received)
    assert result["receivers"]["ZZ/AAA"] == {
        "delivered": 3, "missing": 0, "missing_examples": [], "duplicated": 0, "retried": 0,
    }  # fmt: skip
    assert result["receivers"]["ZZ/BBB"] == {
        "delivered": 2, "missing": 1, "missing_examples": ["L3"], "duplicated": 1, "retried": 1,
    }  # fmt: skip
    assert (result["missing"], result["duplicated"]) == (1, 1)
    assert result["end_to_end_ms"]["count"] == 5
    assert result["end_to_end_ms"]["max"] == 50.0  # L1 at ZZ/BBB: first receipt 10.050 for a send at 10.0
    assert result["after_ack_ms"]["p50"] == 20.0
