"""Real processes on loopback ports for end-to-end tests: the hub (``ocpi-hub serve``) and the test party."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
PARTY_SCRIPT = ROOT / "tests" / "e2e" / "party.py"


def run_tool(script: str, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """``python tools/SCRIPT ARGS`` from the repository's root, as its README line runs it; output captured."""
    return subprocess.run(
        [sys.executable, f"tools/{script}", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def seeded_store(where: Path, parties: int) -> tuple[str, list[str]]:
    """A SQLite store in ``where`` seeded by the real ``ocpi-hub seed`` command: its URL, and the parties' tokens."""
    store = f"sqlite:///{where / 'hub.db'}"
    tokens = where / "tokens.txt"
    seed = ["seed", "--store", store, "--parties", str(parties), "--export", str(tokens)]
    subprocess.run(
        [sys.executable, "-m", "reference_hub", *seed],
        check=True,
        capture_output=True,
    )
    return store, tokens.read_text().split()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(url: str, proc: subprocess.Popen[str], log: Path | None = None, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            output = log.read_text() if log else (proc.stdout.read() if proc.stdout else "")
            raise RuntimeError(f"process exited with {proc.returncode}: {output}")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout}s")


def _stop(proc: subprocess.Popen[str]) -> None:
    """SIGINT (granian stops its workers), then SIGKILL to the whole process group: a worker stuck in a busy loop must
    not outlive its server (each server is started in a session of its own)."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This environment without any OCPI_* setting (a developer's own must not leak into a test), plus ``extra``."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith("OCPI_")}, **(extra or {})}


class HubProcess:
    """``ocpi-hub serve`` on a free loopback port with its own SQLite file, or on ``store`` (a URL, e.g. a PostgreSQL
    database shared with other instances); its output goes to ``hub.log`` beside ``db_path``."""

    def __init__(
        self,
        db_path: Path,
        *,
        faults: Sequence[str] = (),
        env: dict[str, str] | None = None,
        port: int | None = None,
        workers: int = 1,
        cwd: Path | None = None,
        store: str | None = None,
    ) -> None:
        self.db_path = db_path
        self.store = store or f"sqlite:///{db_path}"
        self.cwd = cwd
        """Where the hub and its commands run (a relative store URL is relative to it)."""
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.versions_url = f"{self.base_url}/ocpi/versions"
        self.faults = tuple(faults)
        # The parties of the tests listen on loopback, which the hub only calls when told it may.
        self.env = clean_env({"OCPI_HUB_ALLOW_PRIVATE_PEERS": "true", **(env or {})})
        self.log = db_path.parent / "hub.log"
        self.workers = workers
        self.proc: subprocess.Popen[str] | None = None

    def cli(
        self, *args: str, input: str | None = None, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run another ``ocpi-hub`` command against the same store and port (``input`` on its standard input,
        ``env`` added to the hub's environment)."""
        return subprocess.run(
            [sys.executable, "-m", "reference_hub", *args, "--store", self.store, "--port", str(self.port)],
            capture_output=True,
            text=True,
            input=input,
            env={**self.env, **(env or {})},
            timeout=60,
            check=False,
            cwd=self.cwd,
        )

    def start(self) -> HubProcess:
        cmd = [
            sys.executable,
            "-m",
            "reference_hub",
            "serve",
            "--port",
            str(self.port),
            "--store",
            self.store,
            "--workers",
            str(self.workers),
        ]
        for fault in self.faults:
            cmd += ["--fault", fault]
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("a") as log:
            self.proc = subprocess.Popen(
                cmd, stdout=log, stderr=subprocess.STDOUT, text=True, env=self.env, start_new_session=True, cwd=self.cwd
            )
        _wait(f"{self.base_url}/health", self.proc, self.log)
        return self

    def stop(self) -> None:
        if self.proc is not None:
            _stop(self.proc)
            self.proc = None

    def invite(self) -> str:
        return self.invites(1)[0]

    def invites(self, count: int) -> list[str]:
        """``count`` registration tokens A from one ``ocpi-hub invite --count`` (each command is a process start)."""
        result = self.cli("invite", "--count", str(count))
        assert result.returncode == 0, result.stderr
        tokens = result.stdout.strip().splitlines()
        assert len(tokens) == count, result.stdout
        return tokens


class PartyProcess:
    """The stand-alone test party (tests/e2e/party.py), driven through its control API."""

    def __init__(self, country: str = "NL", party: str = "PTY", *extra: str) -> None:
        self.country, self.party = country, party
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.versions_url = f"{self.base_url}/ocpi/versions"
        self.extra = extra
        self.proc: subprocess.Popen[str] | None = None
        self.http = httpx.Client(base_url=self.base_url, timeout=60)

    def start(self) -> PartyProcess:
        cmd = [
            sys.executable,
            str(PARTY_SCRIPT),
            "--port",
            str(self.port),
            "--country",
            self.country,
            "--party",
            self.party,
            *self.extra,
        ]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        _wait(f"{self.base_url}/control/state", self.proc)
        return self

    def stop(self) -> None:
        self.http.close()
        if self.proc is not None:
            _stop(self.proc)
            self.proc = None

    def control(self, action: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.http.post(f"/control/{action}", json=body or {})
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def state(self) -> dict[str, Any]:
        result: dict[str, Any] = self.http.get("/control/state").json()
        return result
