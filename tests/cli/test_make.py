"""The make targets as a newcomer uses them: ``make help`` in a pipe has no colour codes, ``make run`` with PORT and
STORE names the invite command for *that* hub, and README's load-test walk-through passes against ``make run`` as
written (its unknown tokens are not answered 429)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.support.processes import _stop, _wait, clean_env, free_port
from tests.support.readme import ROOT, walkthrough, workspace

pytestmark = pytest.mark.e2e


def test_make_help_lists_every_target_without_colour_codes_in_a_pipe() -> None:
    result = subprocess.run(["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True, timeout=30, check=True)
    assert "\x1b[" not in result.stdout
    listed = {line.split()[0] for line in result.stdout.splitlines() if line.strip()}
    declared = set(re.findall(r"^([a-zA-Z_-]+):.*## ", (ROOT / "Makefile").read_text(), re.MULTILINE))
    assert listed == declared and {"run", "invite", "loadtest", "fuzz-hub", "clean"} <= listed
    readme = (ROOT / "README.md").read_text()
    missing = [target for target in declared if f"`{target}`" not in readme]
    assert not missing, f"README does not list make targets {missing}"


@pytest.mark.slow
def test_make_run_names_its_own_invite_command_and_the_load_test_walkthrough_passes(tmp_path: Path) -> None:
    make_run, seed, loadtest = walkthrough("load-test")
    assert make_run == "make run"
    where = workspace(tmp_path / "checkout")
    port, store = free_port(), f"sqlite:///{tmp_path}/hub.db"
    log = tmp_path / "hub.log"
    with log.open("w") as out:
        hub = subprocess.Popen(
            ["make", "run", f"PORT={port}", f"STORE={store}"],
            cwd=where,
            env=clean_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
    try:
        # ready when it answers, not when the server logs that it listens (its worker may still be starting)
        try:
            _wait(f"http://127.0.0.1:{port}/health", hub, log, timeout=120)
        except TimeoutError as slow:
            raise AssertionError(f"{slow}; the hub's log:\n{log.read_text()}") from slow
        banner = next(line for line in log.read_text().splitlines() if "registration token for a new party" in line)
        assert banner.endswith(
            f"ocpi-hub invite --store {store} --port {port}  (or: make invite PORT={port} STORE={store})"
        )
        # make invite with those values creates a token A in this hub's store
        token = subprocess.run(
            ["make", "-s", "invite", f"PORT={port}", f"STORE={store}"],
            cwd=where,
            env=clean_env(),
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout.strip()
        versions = httpx.get(f"http://127.0.0.1:{port}/ocpi/versions", headers={"Authorization": f"Token {token}"})
        assert versions.status_code == 200, versions.text

        # README's lines, with this hub's PORT and STORE in the environment (make and ocpi-hub read them)
        env = clean_env({"PORT": str(port), "STORE": store, "OCPI_HUB_STORE": store})
        seeded = subprocess.run(["bash", "-c", seed], cwd=where, env=env, capture_output=True, text=True, timeout=120)
        assert seeded.returncode == 0, seeded.stderr
        assert (where / "tokens.txt").stat().st_mode & 0o777 == 0o600
        run = subprocess.run(["bash", "-c", loadtest], cwd=where, env=env, capture_output=True, text=True, timeout=180)
        assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
        assert re.search(r"progress \d+ s: \d+ requests", run.stdout), run.stdout[-3000:]
        assert "\nPASSED" in run.stdout
        [summary] = (where / "loadtest-results").glob("*-token/token.json")
        result = json.loads(summary.read_text())
        assert result["passed"] and result["failures"] == 0 and result["requests"] > 1000
        unknown = sum(e["occurrences"] for e in result["errors"])
        assert unknown == 0
    finally:
        _stop(hub)


def test_a_failing_target_says_why_in_one_line_before_makes_own(tmp_path: Path) -> None:
    where = workspace(tmp_path / "checkout")
    # run as a user runs it: not as a sub-make of `make test`, which would announce the directories it enters
    env = {k: v for k, v in clean_env().items() if k not in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS")}
    result = subprocess.run(
        ["make", "loadtest", "TOKENS=missing.txt", f"PORT={free_port()}"],
        cwd=where,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2, result.stderr
    assert "--tokens missing.txt: no such file" in lines[0]
    assert re.match(r"make(\[\d+\])?: \*\*\* \[Makefile:\d+: loadtest\] Error 2$", lines[1]), lines[1]
    assert result.stdout == ""
