"""README's "Connecting a party" walk-through, run as written: ``make run``, the example eMSP and the example CPO,
each a real process started from the README's own command lines (the test only points them at a free port and a
temporary store), and what each printed and the hub logged."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.support.processes import _stop, clean_env, free_port
from tests.support.readme import ROOT, walkthrough, workspace

pytestmark = pytest.mark.e2e


def _wait_for(path: Path, text: str, proc: subprocess.Popen[str], timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        content = path.read_text() if path.exists() else ""
        if text in content:
            return content
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    raise AssertionError(f"{text!r} not printed (exit {proc.poll()}):\n{path.read_text() if path.exists() else ''}")


def _start(command: str, cwd: Path, env: dict[str, str], log: Path) -> subprocess.Popen[str]:
    with log.open("w") as out:
        return subprocess.Popen(
            ["bash", "-c", command],
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )


def test_connecting_a_party_walkthrough(tmp_path: Path) -> None:
    make_run, emsp_line, cpo_line = walkthrough("connecting-a-party")
    assert make_run == "make run"
    assert emsp_line.startswith("python3 examples/emsp.py") and cpo_line.startswith("python3 examples/cpo.py")
    # the same lines are in examples/README.md
    assert [emsp_line, cpo_line] == [
        line for line in walkthrough_lines(ROOT / "examples" / "README.md") if line.startswith("python3 ")
    ]
    where = workspace(tmp_path / "checkout")
    port = free_port()
    # make's `?=` variables (and so `make run` and `make -s invite`) take PORT and STORE from the environment
    env = clean_env({"PORT": str(port), "STORE": f"sqlite:///{tmp_path}/hub.db"})
    hub_url = f"http://127.0.0.1:{port}/ocpi/versions"
    hub = _start(make_run, where, env, tmp_path / "hub.log")
    emsp = None
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
            assert hub.poll() is None, (tmp_path / "hub.log").read_text()
        emsp = _start(f"{emsp_line} --hub {hub_url} --port {free_port()}", where, env, tmp_path / "emsp.log")
        _wait_for(tmp_path / "emsp.log", "waiting for the hub", emsp)
        cpo = subprocess.run(
            ["bash", "-c", f"{cpo_line} --hub {hub_url} --port {free_port()}"],
            cwd=where,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert cpo.returncode == 0, cpo.stdout + cpo.stderr
        assert "registered with the hub NLHUB" in cpo.stdout
        assert "-> PUT Location LOC-EXAMPLE-1 to the hub: status 1000 (HTTP 201)" in cpo.stdout
        assert "-> authorize token EXAMPLE0001 at LOC-EXAMPLE-1: ALLOWED (status 1000" in cpo.stdout
        assert "unregistered from the hub (HTTP 200)" in cpo.stdout
        seen = _wait_for(tmp_path / "emsp.log", "<- authorization of token EXAMPLE0001", emsp)
        assert "-> PUT Token EXAMPLE0001 to the hub: status 1000" in seen
        assert "<- PUT Location NL/CPO/LOC-EXAMPLE-1: Example street 1, Utrecht (from NL/HUB)" in seen
        assert "at location LOC-EXAMPLE-1 (asked by NL/CPO): ALLOWED" in seen
        os.killpg(emsp.pid, signal.SIGINT)  # Ctrl-C
        assert emsp.wait(timeout=30) == 0
        assert "unregistered from the hub (HTTP 200)" in (tmp_path / "emsp.log").read_text()
        log = (tmp_path / "hub.log").read_text()
        for line in (
            "partner DE-EMS registered (party-initiated, OCPI 2.3.0): EMSP DE/EMS",
            "partner NL-CPO registered (party-initiated, OCPI 2.3.0): CPO NL/CPO",
            "partner NL-CPO unregistered itself",
            "partner DE-EMS unregistered itself",
        ):
            assert line in log, log
        assert "make invite" in log  # make run's banner names the make form, with this hub's PORT and STORE
        assert f"PORT={port}" in log and f"STORE=sqlite:///{tmp_path}/hub.db" in log
    finally:
        if emsp is not None:
            _stop(emsp)
        _stop(hub)


def walkthrough_lines(document: Path) -> list[str]:
    """Every command line of the first ``sh`` block of a document (examples/README.md has no marker)."""
    text = document.read_text()
    block = text.split("```sh\n", 1)[1].split("```", 1)[0]
    return [line.split("  #", 1)[0].strip() for line in block.splitlines() if line.strip()]
