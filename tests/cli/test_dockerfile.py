"""The container image as the Dockerfile describes it (no Docker engine runs here): the hub alone, a regular install,
an unprivileged user, a HEALTHCHECK on /health. The HEALTHCHECK's own command is run against a real hub and a closed
port, so the check an orchestrator relies on is known to tell them apart."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.processes import HubProcess, clean_env, free_port

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def _instructions() -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    found = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def test_the_image_installs_the_hub_alone_as_a_regular_install() -> None:
    steps = _instructions()
    copied = [shlex.split(rest)[:-1] for keyword, rest in steps if keyword == "COPY"]
    sources = {name for names in copied for name in names}
    assert "reference_hub" in sources and "openapi.yaml" in sources and "pyproject.toml" in sources
    assert not sources & {"conformance", "features", "loadtests", "tests", "."}, sources
    assert all((ROOT / name).exists() for name in sources), sources
    runs = " ".join(rest for keyword, rest in steps if keyword == "RUN")
    assert re.search(r"pip install \.(\s|$)", runs) and " -e " not in runs and "[" not in runs


def test_the_image_runs_as_an_unprivileged_user_with_a_healthcheck() -> None:
    steps = _instructions()
    users = [rest for keyword, rest in steps if keyword == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert [k for k, _ in steps].index("USER") < [k for k, _ in steps].index("CMD")
    [health] = [rest for keyword, rest in steps if keyword == "HEALTHCHECK"]
    assert "/health" in health


def _healthcheck_command() -> str:
    [health] = [rest for keyword, rest in _instructions() if keyword == "HEALTHCHECK"]
    return health.split(" CMD ", 1)[1]


def test_the_healthcheck_command_tells_a_healthy_hub_from_none(tmp_path: Path) -> None:
    command = _healthcheck_command().replace("python -c", f"{shlex.quote(sys.executable)} -c", 1)
    hub = HubProcess(tmp_path / "hub.db").start()
    try:
        healthy = subprocess.run(
            ["sh", "-c", command], env=clean_env({"OCPI_HUB_PORT": str(hub.port)}), capture_output=True, timeout=30
        )
    finally:
        hub.stop()
    assert healthy.returncode == 0, healthy.stderr
    nothing = subprocess.run(
        ["sh", "-c", command], env=clean_env({"OCPI_HUB_PORT": str(free_port())}), capture_output=True, timeout=30
    )
    assert nothing.returncode == 1
