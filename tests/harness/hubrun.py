"""Real reference-hub processes on free loopback ports, and the harness run against them as a user would.

The hub is started exactly as an operator would (``python -m reference_hub serve``), with a
temporary SQLite file, optional fault switches, and a few seeded parties so that pagination has
data. The harness is run exactly as a user would (``python -m conformance run target.toml``), in
its own process and pytest session; the tests read its ``results.json``.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
SEEDED_PARTIES = 4
"""Parties created in the store before the hub starts: pagination scenarios need several objects."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OCPI_")}
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


@dataclass
class Hub:
    """A running reference hub."""

    base_url: str
    store: str
    faults: tuple[str, ...]
    proc: subprocess.Popen[bytes]
    log: Path
    seeded_tokens: list[str]
    """Credentials tokens (C) of the seeded parties."""

    @property
    def versions_url(self) -> str:
        return f"{self.base_url}/ocpi/versions"

    def invite(self) -> str:
        """A fresh registration token A (``ocpi-hub invite``, last line of its output)."""
        out = subprocess.run(
            [PYTHON, "-m", "reference_hub", "invite", "--store", self.store],
            env=_env(),
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        return out.stdout.strip().splitlines()[-1].strip()

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)


def start_hub(directory: Path, faults: tuple[str, ...] = (), *, seed: int = SEEDED_PARTIES) -> Hub:
    """Seed a fresh SQLite store, start ``reference_hub serve`` on a free port, wait for /health."""
    directory.mkdir(parents=True, exist_ok=True)
    store = f"sqlite:///{directory / 'hub.db'}"
    tokens: list[str] = []
    if seed:
        export = directory / "seeded-tokens.txt"
        subprocess.run(
            [PYTHON, "-m", "reference_hub", "seed", "--parties", str(seed), "--store", store, "--export", str(export)],
            env=_env(),
            capture_output=True,
            check=True,
            timeout=60,
        )
        tokens = [t.strip() for t in export.read_text().splitlines() if t.strip()]
    port = free_port()
    cmd = [PYTHON, "-m", "reference_hub", "serve", "--host", "127.0.0.1", "--port", str(port), "--store", store]
    for fault in faults:
        cmd += ["--fault", fault]
    log = directory / "hub.log"
    with log.open("wb") as fh:
        proc = subprocess.Popen(cmd, env=_env(), stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
    hub = Hub(f"http://127.0.0.1:{port}", store, faults, proc, log, tokens)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the hub exited with {proc.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{hub.base_url}/health", timeout=1).status_code == 200:
                return hub
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    hub.stop()
    raise RuntimeError(f"the hub did not become healthy:\n{log.read_text()}")


def write_target(
    path: Path,
    hub: Hub,
    *,
    token_a: str | None = None,
    token: str | None = None,
    roles: tuple[str, ...] = ("HUB",),
    extra: str = "",
) -> Path:
    lines = [
        'name = "reference hub' + (f" with {', '.join(hub.faults)}" if hub.faults else " (clean)") + '"',
        f'versions_url = "{hub.versions_url}"',
        f'token_a = "{token_a}"' if token_a else f'token = "{token}"',
        f"roles = {json.dumps(list(roles))}",
        "timeout = 10",
        "[party]",
        'country_code = "NL"',
        'party_id = "CTH"',
        'role = "EMSP"',
        "[peer]",
        'host = "127.0.0.1"',
        "port = 0",
        "[report]",
        'dir = "report"',
        extra,
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@dataclass
class HarnessRun:
    """One ``ocpi-conformance run`` and what it produced."""

    returncode: int
    stdout: str
    results: dict
    report_dir: Path

    def outcomes(self) -> dict[str, str]:
        return {s["id"]: s["outcome"] for s in self.results.get("scenarios", [])}

    def having(self, outcome: str) -> set[str]:
        return {i for i, o in self.outcomes().items() if o == outcome}

    def scenario(self, scenario_id: str) -> dict:
        return next(s for s in self.results["scenarios"] if s["id"] == scenario_id)


def run_harness(target: Path, *args: str, cwd: Path | None = None, timeout: float = 120) -> HarnessRun:
    """``python -m conformance run target.toml ARGS`` in its own process (from another directory)."""
    report_dir = target.parent / "report"
    proc = subprocess.run(
        [PYTHON, "-m", "conformance", "run", str(target), *args],
        env=_env(),
        cwd=cwd or target.parent,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    results_file = report_dir / "results.json"
    results = json.loads(results_file.read_text()) if results_file.exists() else {}
    return HarnessRun(proc.returncode, proc.stdout + proc.stderr, results, report_dir)
