"""``pip install .`` gives the hub alone: a clean virtual environment with only the project installed (a regular,
non-editable install from a copy of the sources) has no test or load tools, runs ``ocpi-hub``, serves ``/health``
and ``/openapi.yaml``, and the tools that need an extra say which one in one line.

The project's dependencies are kept as wheels in a cache outside the repository (``~/.cache/ocpi-hub-tests/wheels``,
or ``$OCPI_TEST_WHEELS``), so after the first run the environment is built without the network. The cache is filled
from the package index when something is missing; without a route to the index the test is skipped, saying so.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

import httpx
import pytest

from tests.support.processes import _stop, _wait, clean_env, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("OCPI_TEST_WHEELS") or Path.home() / ".cache" / "ocpi-hub-tests" / "wheels")
SOURCES = (
    "pyproject.toml",
    "README.md",
    "LICENSE",
    "CHANGELOG.md",
    "openapi.yaml",
    "reference_hub",
    "conformance",
    "loadtests",
)
"""What a clone holds of the package (features/, tests/ and tools/ are not part of it)."""
NOT_FOR_THE_HUB = {
    "pytest",
    "pytest-bdd",
    "schemathesis",
    "locust",
    "jsonschema",
    "playwright",
    "uvicorn",
    "ruff",
    "mypy",
    "hypothesis",
    "gevent",
    "flask",
}


def _copy_sources(target: Path) -> Path:
    target.mkdir()
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target / name)
    return target


def _pip(python: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(python), "-m", "pip", "--disable-pip-version-check", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=clean_env(),
        check=False,
    )


def _fill_cache() -> None:
    """The hub's runtime dependencies and the build backend, as wheels, from the package index."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    wanted = [*project["project"]["dependencies"], *project["build-system"]["requires"], "wheel"]
    CACHE.mkdir(parents=True, exist_ok=True)
    filled = _pip(Path(sys.executable), "wheel", "--wheel-dir", str(CACHE), "--find-links", str(CACHE), *wanted)
    if filled.returncode != 0:
        reason = (filled.stderr.strip().splitlines() or ["pip wheel failed"])[-1]
        pytest.skip(f"cannot fill the wheel cache from the package index (no network to it?): {reason}")


@pytest.fixture(scope="module")
def hub_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("hub-alone")
    sources = _copy_sources(base / "src")
    env_dir = base / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    offline = ("install", "--no-index", "--find-links", str(CACHE), str(sources))
    installed = _pip(python, *offline)
    if installed.returncode != 0:
        _fill_cache()
        installed = _pip(python, *offline)
    assert installed.returncode == 0, installed.stdout[-3000:] + installed.stderr[-3000:]
    return env_dir


def test_the_hub_installs_without_test_or_load_tools(hub_venv: Path) -> None:
    listed = _pip(hub_venv / "bin" / "python", "list", "--format=json")
    names = {p["name"].lower() for p in json.loads(listed.stdout)}
    assert "ocpi-hub" in names and "litestar" in names and "granian" in names
    assert not names & NOT_FOR_THE_HUB, sorted(names & NOT_FOR_THE_HUB)
    where = subprocess.run(
        [str(hub_venv / "bin" / "python"), "-c", "import reference_hub; print(reference_hub.__file__)"],
        capture_output=True,
        text=True,
        cwd=hub_venv,
        check=True,
    ).stdout.strip()
    assert where.startswith(str(hub_venv)), where  # a regular install, not a link to the sources


def test_the_installed_hub_runs_and_serves_health(hub_venv: Path, tmp_path: Path) -> None:
    cli = hub_venv / "bin" / "ocpi-hub"
    helped = subprocess.run([str(cli), "--help"], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert helped.returncode == 0 and "serve" in helped.stdout and "exit codes" in helped.stdout
    port = free_port()
    with (tmp_path / "hub.log").open("w") as log:
        proc = subprocess.Popen(
            [str(cli), "serve", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
            env=clean_env(),
            text=True,
            start_new_session=True,
        )
    try:
        _wait(f"http://127.0.0.1:{port}/health", proc, tmp_path / "hub.log")
        health = httpx.get(f"http://127.0.0.1:{port}/health")
        assert health.status_code == 200 and health.json()["status"] == "ok"
        description = httpx.get(f"http://127.0.0.1:{port}/openapi.yaml")
        assert description.status_code == 200 and description.text.startswith("openapi: 3.1")
    finally:
        _stop(proc)
    assert (tmp_path / "data" / "hub.db").exists()  # the default store, beside where it runs


def test_tools_that_need_an_extra_say_which(hub_venv: Path, tmp_path: Path) -> None:
    loadtest = subprocess.run(
        [
            str(hub_venv / "bin" / "python"),
            "-m",
            "loadtests",
            "token",
            "--versions-url",
            f"http://127.0.0.1:{free_port()}/ocpi/versions",
            "--tokens",
            "tokens.txt",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=clean_env(),
        timeout=60,
    )
    assert loadtest.returncode == 2, loadtest.stderr
    [line] = loadtest.stderr.strip().splitlines()
    assert 'pip install "ocpi-hub[loadtest]"' in line and "locust" in line
    uvicorn = subprocess.run(
        [str(hub_venv / "bin" / "ocpi-hub"), "serve", "--server", "uvicorn", "--port", str(free_port())],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=clean_env(),
        timeout=60,
    )
    assert uvicorn.returncode == 2
    [line] = uvicorn.stderr.strip().splitlines()
    assert "uvicorn" in line and "pip install" in line
