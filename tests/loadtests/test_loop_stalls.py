"""``tools/loop_stalls.py`` run small: every step of the still-alive check's bookkeeping runs to the end on a real
SQLite file, and each one that walks every partner lets another task run while it does."""

from __future__ import annotations

import re

import pytest

from tests.support.processes import run_tool

pytestmark = pytest.mark.e2e


def test_each_step_is_reported_and_the_ones_over_every_partner_let_others_run() -> None:
    done = run_tool("loop_stalls.py", "--partners", "9000", timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = {}
    for line in done.stdout.strip().splitlines()[2:]:
        found = re.fullmatch(r"(.+?)\s+([\d.]+)\s+([\d.]+)\s+(\d+)\s+([\d.]+)", line)
        assert found, line
        rows[found[1]] = (float(found[2]), int(found[4]), float(found[5]))
    assert list(rows) == ["share", "read", "round, all heard", "round, all silent", "out of rotation"]
    # 9,000 partners cross several batches of each step (500 written, 1,000 read, 2,000 weighed at a time)
    for step in ("share", "read", "round, all heard", "round, all silent"):
        took, turns, longest = rows[step]
        assert turns >= 4, (step, rows[step])
        assert longest <= took, (step, rows[step])


def test_a_silly_number_of_partners_is_a_usage_error() -> None:
    done = run_tool("loop_stalls.py", "--partners", "0")
    assert done.returncode == 2 and "--partners must be at least 1" in done.stderr
