"""``python -m loadtests.bench`` stopped with SIGTERM (``kill``, ``timeout``) stops what it started, as Ctrl-C does:
a real bench process, its real hub, and the processes of this machine read from ``/proc`` afterwards."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.processes import clean_env

ROOT = Path(__file__).resolve().parents[2]


def _running_with(text: str) -> list[str]:
    """Command lines of this machine's processes that mention ``text``."""
    found = []
    for process in Path("/proc").iterdir():
        if not process.name.isdigit():
            continue
        try:
            line = (process / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # gone meanwhile
            continue
        if text in line:
            found.append(f"{process.name}: {line}")
    return found


@pytest.mark.e2e
@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="reads the processes from /proc (Linux)")
def test_a_terminated_bench_stops_the_hub_it_started(tmp_path: Path) -> None:
    results = tmp_path / "results"
    bench = subprocess.Popen(
        [sys.executable, "-m", "loadtests.bench", "--only", "push", "--quick", "--results", str(results)],
        cwd=ROOT,
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        # the hub serves a store in the results folder
        while not any(" serve " in line for line in _running_with(str(results / "stores"))):
            assert bench.poll() is None, bench.communicate()[0]
            assert time.monotonic() < deadline, "the bench started no hub within 60 s"
            time.sleep(0.2)
        bench.send_signal(signal.SIGTERM)
        output, _ = bench.communicate(timeout=60)
    finally:
        if bench.poll() is None:
            os.killpg(bench.pid, signal.SIGKILL)
    assert bench.returncode == 128 + signal.SIGTERM, output
    deadline = time.monotonic() + 10
    while (left := _running_with(str(results))) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not left, left
