"""``python -m loadtests`` as a user meets it: a mistake is one line with the documented exit code (never a
traceback per Locust user), progress shows while a run goes on, and the verdict says "no limit" as null and sits at
the top of Locust's HTML report. Real hub, real Locust subprocesses, loopback only, every run bounded."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from loadtests.run import LOCUSTFILE, ROOT
from tests.support.processes import HubProcess, clean_env, free_port

pytestmark = pytest.mark.e2e

PROGRESS = re.compile(
    r"progress \d+ s: \d+ requests, \d+ failures, \d+ req/s; p50 [\d.]+ ms, p95 [\d.]+ ms, p99 [\d.]+ ms"
)


def loadtests(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "loadtests", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=clean_env({"PYTHONPATH": str(ROOT)}),
        timeout=timeout,
        check=False,
    )


def one_line(result: subprocess.CompletedProcess[str], code: int, *expected: str) -> str:
    assert result.returncode == code, (result.returncode, result.stdout[-2000:], result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    for text in expected:
        assert text in lines[0], (text, lines[0])
    return lines[0]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("loadtests-cli")
    (path / "tokens.txt").write_text("token-that-exists-only-in-this-file\n")
    (path / "empty.txt").write_text("\n# nothing but a comment\n")
    return path


@pytest.fixture(scope="module")
def hub(workdir: Path) -> Iterator[HubProcess]:
    """A hub with its default failed-authentication limit (100 per 10 s per address) and 10 seeded parties."""
    process = HubProcess(workdir / "hub.db")
    seeded = process.cli("seed", "--parties", "10", "--export", str(workdir / "seeded.txt"))
    assert seeded.returncode == 0, seeded.stderr
    process.start()
    yield process
    process.stop()


def test_usage_mistakes_are_one_line_and_exit_2(workdir: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/ocpi/versions"
    common = ("token", "--versions-url", url)
    one_line(loadtests(*common, "--tokens", "tokens.txt", "--run-time", "5x", cwd=workdir), 2, "--run-time", "'5x'")
    one_line(loadtests(*common, "--tokens", "tokens.txt", "--users", "0", cwd=workdir), 2, "--users", "at least 1")
    one_line(loadtests(*common, "--tokens", "tokens.txt", "--unknown-share", "1.5", cwd=workdir), 2, "from 0 to 1")
    one_line(
        loadtests(*common, "--tokens", "missing.txt", cwd=workdir),
        2,
        "--tokens missing.txt: no such file",
        "ocpi-hub seed",
    )
    one_line(loadtests(*common, "--tokens", "empty.txt", cwd=workdir), 2, "--tokens empty.txt is empty")
    one_line(
        loadtests("registration", "--versions-url", url, "--invitations", "missing.txt", cwd=workdir),
        2,
        "--invitations missing.txt: no such file",
        "ocpi-hub invite",
    )
    one_line(loadtests("bogus", cwd=workdir), 2, "unknown scenario 'bogus'", "token, registration")
    one_line(loadtests(cwd=workdir), 2, "name a scenario")
    assert not (workdir / "loadtest-results").exists()  # nothing ran


def test_an_unreachable_target_is_one_line_and_exit_3(workdir: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/ocpi/versions"
    one_line(
        loadtests("token", "--versions-url", url, "--tokens", "tokens.txt", cwd=workdir),
        3,
        f"cannot reach the target at {url}",
        "Connection refused",
    )


def test_plain_locust_says_once_why_a_run_cannot_start(workdir: Path) -> None:
    """Without the wrapper's checks, the users find the problem: one line for the run, not a traceback per user."""
    url = f"http://127.0.0.1:{free_port()}/ocpi/versions"
    base = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "-u", "5", "-r", "5", "-t", "20s"]
    for extra, code, expected in (
        (["--tokens", "missing.txt"], 2, "cannot run: cannot read --tokens missing.txt: No such file"),
        (["--tokens", "tokens.txt"], 3, "cannot run: the target cannot be reached"),
    ):
        result = subprocess.run(
            [*base, "--versions-url", url, *extra, "TokenValidationUser"],
            capture_output=True,
            text=True,
            cwd=workdir,
            env=clean_env({"PYTHONPATH": str(ROOT)}),
            timeout=60,
            check=False,
        )
        output = result.stdout + result.stderr
        assert result.returncode == code, output[-3000:]
        assert output.count(expected) == 1, output[-3000:]
        assert "Traceback" not in output and "StopUser" not in output, output[-3000:]


def test_a_run_shows_progress_and_its_verdict_in_json_and_html(hub: HubProcess, workdir: Path) -> None:
    result = loadtests(
        "token",
        "--versions-url",
        hub.versions_url,
        "--tokens",
        str(workdir / "seeded.txt"),
        "--unknown-share",
        "0",
        "--users",
        "4",
        "--run-time",
        "7s",
        "--progress-every",
        "2",
        "--max-p99-ms",
        "1000",
        "--results",
        "run",
        cwd=workdir,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    assert len(PROGRESS.findall(result.stdout)) >= 2, result.stdout[-3000:]
    summary = json.loads((workdir / "run" / "token.json").read_text())
    assert summary["passed"] is True
    assert summary["limits"] == {"fail_ratio": 0.0, "p95_ms": None, "p99_ms": 1000.0}
    page = (workdir / "run" / "token.html").read_text()
    block = page[page.index('<section id="ocpi-verdict"') :]
    block = block[: block.index("</section>")]
    assert "Verdict: PASSED" in block and "no limit" in block and "1000.0 ms" in block
    assert f"{summary['requests']} requests" in block
    assert page.index('<section id="ocpi-verdict"') < page.index('<div id="root">')  # above Locust's own report


def test_a_target_that_limits_failed_authentications_gets_a_hint(workdir: Path) -> None:
    # a limit a loaded machine's load test still reaches in its first second (the default is 100 per 10 s)
    limited = HubProcess(workdir / "limited.db", env={"OCPI_HUB_AUTH_FAILURE_LIMIT": "10"})
    seeded = limited.cli("seed", "--parties", "10", "--export", str(workdir / "seeded.txt"))
    assert seeded.returncode == 0, seeded.stderr
    limited.start()
    try:
        result = _limited_run(limited, workdir)
    finally:
        limited.stop()
    assert result.returncode == 1, result.stdout[-3000:]
    summary = json.loads((workdir / "limited" / "token.json").read_text())
    assert any("HTTP 429" in p and "OCPI_HUB_AUTH_FAILURE_LIMIT=0" in p for p in summary["problems"]), summary
    assert "FAILED" in result.stdout and "HTTP 429" in result.stdout


def _limited_run(hub: HubProcess, workdir: Path) -> subprocess.CompletedProcess[str]:
    return loadtests(
        "token",
        "--versions-url",
        hub.versions_url,
        "--tokens",
        str(workdir / "seeded.txt"),
        "--unknown-share",
        "0.5",
        "--users",
        "4",
        "--run-time",
        "4s",
        "--results",
        "limited",
        "--quiet",
        cwd=workdir,
    )


def test_version(workdir: Path) -> None:
    from reference_hub import __version__

    result = loadtests("--version", cwd=workdir)
    assert result.returncode == 0 and result.stdout.strip() == f"python -m loadtests {__version__} (OCPI 2.3.0)"
