"""``python -m loadtests.bench --pg-statements``: what the bench's own PostgreSQL server spent its time on, per phase,
written beside the run's results (a real bench process, its real hub and its real PostgreSQL server)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.processes import clean_env

ROOT = Path(__file__).resolve().parents[2]


def _bench(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "loadtests.bench", *args],
        cwd=ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_pg_statements_is_refused_where_the_bench_runs_no_postgresql_server(tmp_path: Path) -> None:
    done = _bench("--only", "push", "--quick", "--pg-statements", "--results", str(tmp_path), timeout=60)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "--pg-statements" in done.stderr and "--store postgresql" in done.stderr
    assert not list(tmp_path.iterdir())  # refused before anything ran


@pytest.mark.e2e
@pytest.mark.slow
@pytest.mark.usefixtures("postgres_programs")  # the bench starts a PostgreSQL server of its own
def test_a_phase_on_postgresql_leaves_the_statements_its_server_spent_most_on(tmp_path: Path) -> None:
    results = tmp_path / "results"
    done = _bench(
        "--only", "push", "--quick", "--store", "postgresql", "--pg-statements", "--results", str(results), timeout=240
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    written = results / "pg-statements-push.txt"
    assert f"costliest statements of push: {written}" in done.stdout
    header, *rows = written.read_text().splitlines()
    assert header.startswith("database|calls|execution ms|")
    pushed = [r.split("|") for r in rows if r.startswith("hub_push|") and "INSERT INTO deliveries" in r]
    assert pushed, rows  # the hub's own statements, by the database of its store
    assert int(pushed[0][1]) > 0  # counted calls
    assert not (results / "pg-statements-fanout.txt").exists()  # only the phases that ran
