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
