"""``tools/loop_stalls.py`` run small: every step of the still-alive check's bookkeeping runs to the end on a real
SQLite file and on a throwaway PostgreSQL server, and each one that walks every partner lets another task run while
it does."""

from __future__ import annotations

import re

import pytest

from tests.support.processes import run_tool

pytestmark = pytest.mark.e2e


def _steps(*store: str) -> dict[str, tuple[float, int, float]]:
    done = run_tool("loop_stalls.py", "--partners", "9000", *store, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = {}
    for line in done.stdout.strip().splitlines()[2:]:
        found = re.fullmatch(r"(.+?)\s+([\d.]+)\s+([\d.]+)\s+(\d+)\s+([\d.]+)", line)
        assert found, line
        rows[found[1]] = (float(found[2]), int(found[4]), float(found[5]))
    assert list(rows) == ["round, all silent", "share", "read", "round, all heard", "out of rotation"]
    return rows


def _let_others_run(rows: dict[str, tuple[float, int, float]]) -> None:
    # 9,000 partners cross several batches of each step (500 written, 1,000 read, 2,000 weighed at a time)
    for step in ("round, all silent", "share", "read", "round, all heard"):
        took, turns, longest = rows[step]
        assert turns >= 4, (step, rows[step])
        assert longest <= took, (step, rows[step])


def test_each_step_is_reported_and_the_ones_over_every_partner_let_others_run() -> None:
    _let_others_run(_steps())


def test_the_same_on_a_throwaway_postgresql_server(postgres_programs: None) -> None:
    _let_others_run(_steps("--store", "postgresql"))


def test_a_silly_number_of_partners_is_a_usage_error() -> None:
    done = run_tool("loop_stalls.py", "--partners", "0")
    assert done.returncode == 2 and "--partners must be at least 1" in done.stderr
