"""Real reference-hub processes on free loopback ports, and the harness run against them as a user would.

The hub is started exactly as an operator would (``python -m reference_hub serve``), with a
temporary SQLite file, optional fault switches, and a few seeded parties so that pagination has
data. The harness is run exactly as a user would (``python -m conformance run target.toml``), in
its own process and pytest session; the tests read its ``results.json``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

from tests.support.processes import HubProcess, clean_env

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
SEEDED_PARTIES = 4
"""Parties created in the store before the hub starts: pagination scenarios need several objects."""


def _env() -> dict[str, str]:
    env = clean_env()
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


class Hub(HubProcess):
    """A reference hub process, with the credentials tokens of the parties seeded before it started."""

    seeded_tokens: list[str]


def start_hub(directory: Path, faults: tuple[str, ...] = (), *, seed: int = SEEDED_PARTIES) -> Hub:
    """Seed a fresh SQLite store, start ``reference_hub serve`` on a free port, wait for /health."""
    directory.mkdir(parents=True, exist_ok=True)
    hub = Hub(directory / "hub.db", faults=faults)
    hub.seeded_tokens = []
    if seed:
        export = directory / "seeded-tokens.txt"
        result = hub.cli("seed", "--parties", str(seed), "--export", str(export))
        if result.returncode != 0:
            raise RuntimeError(f"seeding failed: {result.stderr}")
        hub.seeded_tokens = export.read_text().split()
    hub.start()
    return hub


def write_target(
    path: Path,
    hub: Hub,
    *,
    token_a: str | None = None,
    token: str | None = None,
    roles: tuple[str, ...] = ("HUB",),
    party: tuple[str, str, str] = ("NL", "CTH", "EMSP"),
    extra: str = "",
    peer_public_url: str | None = None,
    cpo_token_a: str | None = None,
    versions: tuple[str, ...] | None = ("2.3.0",),
) -> Path:
    """A target file for ``hub``. With ``cpo_token_a`` the harness plays two parties, in the ``[[identities]]`` form:
    ``party`` (the primary identity, an eMSP by default) and a CPO ``NL/CTC`` registered with that token A.

    ``versions``: ``[run] versions`` (the hub offers 2.3.0 and 2.2.1; most tests certify one of them, the 2.3.0 one by
    default); None leaves the key out (every version the hub offers)."""
    primary_token = f'token_a = "{token_a}"' if token_a else f'token = "{token}"'
    if cpo_token_a:
        identities = [
            "[[identities]]",
            f'country_code = "{party[0]}"',
            f'party_id = "{party[1]}"',
            f'role = "{party[2]}"',
            primary_token,
            "[[identities]]",
            'country_code = "NL"',
            'party_id = "CTC"',
            'role = "CPO"',
            f'token_a = "{cpo_token_a}"',
        ]
        head: list[str] = []
    else:
        identities = ["[party]", f'country_code = "{party[0]}"', f'party_id = "{party[1]}"', f'role = "{party[2]}"']
        head = [primary_token]
    lines = [
        'name = "reference hub' + (f" with {', '.join(hub.faults)}" if hub.faults else " (clean)") + '"',
        f'versions_url = "{hub.versions_url}"',
        *head,
        f"roles = {json.dumps(list(roles))}",
        # seconds per answer, and the longest wait for something that never comes (a delivery, a result): loopback
        # answers in milliseconds, and the fault runs that wait for what never arrives stay short
        "timeout = 5",
        *identities,
        "[peer]",
        'host = "127.0.0.1"',
        "port = 0",
        f'public_url = "{peer_public_url}"' if peer_public_url else "",
        "[report]",
        'dir = "report"',
        extra,
        *(["[run]", f"versions = {json.dumps(list(versions))}"] if versions is not None else []),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class TwoIdentities(TypedDict):
    token_a: str
    cpo_token_a: str


def two_identities(hub: Hub) -> TwoIdentities:
    """``write_target`` arguments for the harness's two identities: a token A for each, from one ``invite`` command
    (each command is a process start of its own)."""
    token_a, cpo_token_a = hub.invites(2)
    return TwoIdentities(token_a=token_a, cpo_token_a=cpo_token_a)


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

    def not_for_target(self) -> set[str]:
        """Scenarios skipped because they are written for another role (e.g. CPO-only ones against a hub)."""
        return {i for i in self.having("skip") if self.scenario(i)["message"].startswith("written for ")}

    def scenario(self, scenario_id: str) -> dict:
        return next(s for s in self.results["scenarios"] if s["id"] == scenario_id)

    def version(self, version: str) -> HarnessRun:
        """One version's pass of a run of several versions (its reports are in ``<report dir>/<version>/``)."""
        folder = self.report_dir / version
        results = json.loads((folder / "results.json").read_text()) if (folder / "results.json").exists() else {}
        return HarnessRun(self.returncode, self.stdout, results, folder)


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
