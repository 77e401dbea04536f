"""``tools/outbox_claims.py`` run small: each pattern is played to the end on a real SQLite file, every row delivered,
and a pattern it does not know is a usage error."""

from __future__ import annotations

import re

import pytest

from tests.support.processes import run_tool

pytestmark = pytest.mark.e2e


def test_every_pattern_delivers_every_row_and_reports_the_claims_cpu() -> None:
    done = run_tool("outbox_claims.py", "--rounds", "1", timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.strip().splitlines()
    expected = {"clientinfo": 21000, "fanout": 3000, "backlog": 4000, "offline": 19950}
    assert [line.split(":")[0] for line in lines] == list(expected)
    for line in lines:
        found = re.fullmatch(r"(\w+): (\d+) rows, claims ([\d.]+) µs per row \(rounds [\d., ]+\)", line)
        assert found, line
        assert int(found[2]) == expected[found[1]] and float(found[3]) > 0


def test_an_unknown_pattern_is_a_usage_error() -> None:
    done = run_tool("outbox_claims.py", "fan-out")
    assert done.returncode == 2 and "unknown pattern(s): fan-out" in done.stderr


def test_the_backlog_pattern_takes_the_number_of_pushes_to_the_others_and_refuses_a_silly_one() -> None:
    done = run_tool("outbox_claims.py", "backlog", "--pushes", "40", "--batch", "64", "--pool", "512", "--rounds", "1")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("backlog: 5000 rows, claims ")  # 3,000 of the returning receiver, 40 x 50 others
    refused = run_tool("outbox_claims.py", "backlog", "--pushes", "0")
    assert refused.returncode == 2 and "--pushes must be 1 to 1000" in refused.stderr
