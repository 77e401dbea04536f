"""``python -m loadtests.bench --baseline DIR``: this checkout's hub against the hub of another checkout, in one run.

On a shared machine the speed of everything drifts between runs (the same server's CPU per request moved by a third
between two quick runs minutes apart here), so a change of a few percent cannot be read from two separate runs.
This measures both hubs in the same run, one after the other in each round, the first of them in turn, and reads
each figure as a ratio within each round: both sides of a ratio saw the same neighbours.

``DIR`` is another checkout of this project, e.g. ``git worktree add ../base main``. Its hub runs from its own code
(``python -m reference_hub`` in ``DIR``) with this environment's libraries, on a store its own command line seeded;
both hubs are started the production way, as in the main bench (granian, 2 workers, still-alive check off).

Phases, each as fast as possible, ``--repeats`` rounds of ``--duration`` seconds:

- token validation (1,000 parties, 32 users, 10% unknown tokens), beside the bare endpoint of the main bench;
- real-time authorization routed to the load-test eMSP, each hub to an eMSP process of its own.

Figures per round and the median of the rounds' ratios go to standard output and ``baseline.md`` in the results
folder, the raw figures to ``bench-baseline.json`` there; BENCHMARKS.md is left as it is.
"""

from __future__ import annotations

import json
import subprocess
from contextlib import ExitStack
from dataclasses import asdict
from pathlib import Path
from typing import Any

from loadtests.bench import Bench, Measurement, Server, Settings, _median, _ratio, _us, machine
from loadtests.run import ROOT

OURS = "ours"
BASE = "baseline"


def check_baseline(path: Path) -> Path:
    """The checkout at ``path``, resolved; ValueError in one line when it is not one of this project."""
    code = path.expanduser().resolve()
    if not (code / "reference_hub" / "__main__.py").is_file():
        raise ValueError(f"--baseline {path}: not a checkout of this project (no reference_hub/__main__.py there)")
    if code == ROOT:
        raise ValueError(f"--baseline {path}: that is this checkout; give another one (git worktree add ../base main)")
    return code


def commit_of(code: Path) -> str:
    """The checkout's commit, with a mark when it has uncommitted changes; ``unknown`` outside git."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=code, capture_output=True, text=True)
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=code, capture_output=True, text=True)
    except OSError:
        return "unknown"
    if head.returncode != 0:
        return "unknown"
    return head.stdout.strip() + (" + uncommitted changes" if dirty.stdout.strip() else "")


def paired(rounds: list[dict[str, float]], key: str) -> dict[str, Any]:
    """``key`` of both hubs in each round, their ratio (this checkout / baseline) per round, and the median of those
    ratios; a round where either side measured nothing is left out of the median, and says so."""
    ours = [r.get(f"{OURS}:{key}") or 0.0 for r in rounds]
    base = [r.get(f"{BASE}:{key}") or 0.0 for r in rounds]
    ratios = [_ratio(a, b) if a and b else None for a, b in zip(ours, base, strict=True)]
    measured = [x for x in ratios if x is not None]
    return {
        "ours": ours,
        "baseline": base,
        "ratios": ratios,
        "median_ratio": _median(measured) if measured else None,
        "rounds_left_out": len(ratios) - len(measured),
    }


class BaselineBench(Bench):
    """The comparison; see the module docstring."""

    def __init__(self, settings: Settings, results: Path, out: Path, command: str, baseline: Path) -> None:
        super().__init__(settings, results, out, command)
        self.baseline = check_baseline(baseline)

    def _run(self) -> dict[str, Any]:  # run() stops the bench's PostgreSQL server, if any, whatever happens
        s = self.s
        self.results.mkdir(parents=True, exist_ok=True)
        self._say(f"results in {self.results}; baseline {self.baseline} ({commit_of(self.baseline)})")
        ours_db, ours_tokens = self.seed("ours", s.small)
        base_db, base_tokens = self.seed("baseline", s.small, code=self.baseline)
        tokens = {"bare": ours_tokens, OURS: ours_tokens, BASE: base_tokens}
        token_rounds: list[dict[str, float]] = []
        routed_rounds: list[dict[str, float]] = []
        with ExitStack() as stack:
            bare = self._start(stack, self.bare())
            ours = self._start(stack, self.hub(OURS, ours_db, s.small))
            base = self._start(stack, self.hub(BASE, base_db, s.small, code=self.baseline))
            servers = [ours, base, bare]
            self._say("token validation: warm-up (not reported)")
            for server in servers:
                self._tokens(server, tokens[server.label], "warmup", 0, min(5, s.duration))
            for repeat in range(1, s.repeats + 1):
                shift = (repeat - 1) % len(servers)
                row: dict[str, float] = {}
                for server in servers[shift:] + servers[:shift]:
                    m = self._tokens(server, tokens[server.label], "max", repeat, s.duration)
                    row |= {f"{server.label}:server_us": _us(m), f"{server.label}:rps": m.rps}
                    row[f"{server.label}:other_cores"] = m.other_cores
                token_rounds.append(row)
            bare.stop()
            hubs = {OURS: (ours, ours_db, ours_tokens, ROOT), BASE: (base, base_db, base_tokens, self.baseline)}
            with ExitStack() as peers:
                tables = {}
                for n, (label, (server, store, seeded, code)) in enumerate(hubs.items()):
                    # an eMSP process per hub, each its own party so that their token tables are separate files
                    _peer, table = peers.enter_context(
                        self.authorization_peer(server, store, f"ZZ/PE{n}", f"tokens {label}", code=code)
                    )
                    tables[label] = (server, self.cpo_token(seeded), table)
                self._say(f"routed authorization: {s.rta_tokens} tokens per eMSP")
                for repeat in range(1, s.repeats + 1):
                    order = list(tables) if repeat % 2 else list(reversed(tables))
                    row = {}
                    for label in order:
                        server, cpo, table = tables[label]
                        runs = self.authorization_runs(
                            {label: f"{server.base_url}/ocpi/versions"}, cpo, table, cpu={"hub": server}
                        )
                        run = runs[label]
                        row |= {f"{label}:server_us": run.get("hub_us") or 0.0, f"{label}:rps": run.get("rps") or 0.0}
                        row[f"{label}:other_cores"] = run.get("other_cores") or 0.0
                        row[f"{label}:failures"] = run.get("failures") or 0
                        row[f"{label}:passed"] = bool(run.get("passed"))
                    routed_rounds.append(row)
        return self.report(token_rounds, routed_rounds)

    def _tokens(self, server: Server, tokens: Path, kind: str, repeat: int, duration: int) -> Measurement:
        return self._token_run(
            server, tokens, kind=kind, repeat=repeat, users=self.s.max_users, duration=duration,
            endpoints="versions,details",
        )  # fmt: skip

    def report(  # type: ignore[override]
        self, token_rounds: list[dict[str, float]], routed_rounds: list[dict[str, float]]
    ) -> dict[str, Any]:
        bare_us = [r.get("bare:server_us") or 0.0 for r in token_rounds]
        figures = {
            "token_cpu": paired(token_rounds, "server_us"),
            "token_rps": paired(token_rounds, "rps"),
            "routed_cpu": paired(routed_rounds, "server_us"),
            "routed_rps": paired(routed_rounds, "rps"),
        }
        figures["token_cpu"]["bare"] = bare_us
        data = {
            "started": self.started.strftime("%Y-%m-%d %H:%M UTC"),
            "command": self.command,
            "machine": machine(),
            "baseline": {"path": str(self.baseline), "commit": commit_of(self.baseline)},
            "settings": asdict(self.s),
            "figures": figures,
            "token_rounds": token_rounds,
            "routed_rounds": routed_rounds,
            "measurements": [vars(m) for m in self.measurements],
            **self.extra,
        }
        (self.results / "bench-baseline.json").write_text(json.dumps(data, indent=2) + "\n")
        text = render(data)
        (self.results / "baseline.md").write_text(text)
        self._say(text)
        return data

    @staticmethod
    def failed(data: dict[str, Any]) -> bool:
        """Any wrong answer in any run: the figures of a run that answered wrongly compare nothing."""
        wrong = sum(m["failures"] for m in data["measurements"] if m["kind"] != "warmup")
        routed = [r for r in data["routed_rounds"] for k, v in r.items() if k.endswith(":passed") and not v]
        failures = sum(v for r in data["routed_rounds"] for k, v in r.items() if k.endswith(":failures"))
        return bool(wrong or routed or failures)


def _row(name: str, figure: dict[str, Any], digits: int) -> str:
    def each(values: list[Any], places: int) -> str:
        return ", ".join("-" if v is None else f"{v:.{places}f}" for v in values)

    median = figure["median_ratio"]
    left = f" ({figure['rounds_left_out']} round(s) measured nothing)" if figure["rounds_left_out"] else ""
    shown = "-" if median is None else f"**{median:.3f}**"
    return (
        f"| {name} | {each(figure['ours'], digits)} | {each(figure['baseline'], digits)} | "
        f"{each(figure['ratios'], 3)} | {shown}{left} |"
    )


def render(d: dict[str, Any]) -> str:
    m, s, f = d["machine"], d["settings"], d["figures"]
    others = [v for r in d["token_rounds"] + d["routed_rounds"] for k, v in r.items() if k.endswith(":other_cores")]
    bare = ", ".join(f"{v:.0f}" for v in f["token_cpu"].get("bare") or [])
    lines = [
        f"Measured {d['started']} with `{d['command']}`: this checkout (commit {m['commit']}) against "
        f"{d['baseline']['path']} (commit {d['baseline']['commit']}); {m['nproc']} cores, load average at start "
        f"{m['loadavg_at_start']}. {s['repeats']} round(s) of {s['duration']} s per phase, the hubs one after the "
        "other in each round, the first in turn.",
        "",
        "| figure, per round | this checkout | baseline | this / baseline, per round | median of the rounds' ratios |",
        "|---|---|---|---|---|",
        _row("token validation: server CPU per request (µs)", f["token_cpu"], 1),
        _row("token validation: requests/s", f["token_rps"], 0),
        _row("routed authorization: hub CPU per request (µs)", f["routed_cpu"], 1),
        _row("routed authorization: requests/s", f["routed_rps"], 0),
        "",
        f"The bare endpoint in the same token rounds: {bare or '-'} µs per request. Other processes on the machine: "
        f"at most {max(others, default=0.0):.2f} cores during any run. Below 1 is cheaper (CPU) or slower (requests/s)"
        " for this checkout.",
        "",
    ]
    return "\n".join(lines)


__all__ = ("BaselineBench", "check_baseline", "paired", "render")
