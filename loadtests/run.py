"""Headless Locust runs as a subprocess, with bounded users, spawn rate, duration and request count.

``python -m loadtests`` is the command line; :func:`run_locust` is what the benchmark and the smoke tests call. Locust
is never imported here (gevent's monkey patching must stay out of pytest and of the benchmark's own process): it runs
as ``python -m locust -f loadtests/locustfile.py`` and leaves CSV files, its HTML report (with charts), a log and a
JSON summary (verdict, exact latency percentiles, registration ledger) in the results folder.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.util import find_spec
from pathlib import Path
from typing import IO, Any, NoReturn

from conformance.urls import origin
from loadtests import data

__all__ = (
    "LOCUSTFILE",
    "PeerProcess",
    "RunResult",
    "RunSpec",
    "main",
    "parse_duration",
    "register_peer",
    "run_locust",
    "run_push",
)

HERE = Path(__file__).resolve().parent
LOCUSTFILE = HERE / "locustfile.py"
ROOT = HERE.parent

SCENARIOS = {
    "token": "TokenValidationUser",
    "registration": "RegistrationUser",
    "ceiling": "BareCeilingUser",
    "pages": "PagesUser",
    "authorize": "AuthorizeUser",
    "push": "PushUser",
}


def parse_duration(text: str | int | float) -> int:
    """Seconds in ``"90"``, ``"90s"``, ``"2m"``, ``"1h30m"`` or ``"1m30s"`` (Locust's ``--run-time`` forms)."""
    if isinstance(text, int | float):
        return int(text)
    text = text.strip().lower()
    if text.isdigit():
        return int(text)
    parts = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?", text)
    if not parts or not any(parts.groups()):
        raise ValueError(f"not a duration: {text!r} (use e.g. 30s, 2m, 1m30s)")
    hours, minutes, seconds = (int(g or 0) for g in parts.groups())
    return hours * 3600 + minutes * 60 + seconds


@dataclass
class RunSpec:
    """One bounded headless run."""

    scenario: str
    """``token``, ``registration`` or ``ceiling`` (the bare endpoint)."""
    results: Path
    name: str
    versions_url: str = ""
    host: str = ""
    """Base URL for Locust's ``--host`` (default: scheme and authority of ``versions_url``)."""
    users: int = 20
    spawn_rate: float = 20
    run_time: int = 30
    stop_timeout: int = 10
    reset_stats: bool = False
    """Start the figures once every user runs (benchmarks), instead of from the first request (smoke runs)."""
    options: dict[str, Any] = field(default_factory=dict)
    """Our custom Locust arguments without dashes, e.g. ``{"tokens": "t.txt", "unknown_share": 0.1}``."""
    extra: list[str] = field(default_factory=list)
    """More Locust arguments, passed as they are."""

    def command(self) -> list[str]:
        host = self.host or _origin(self.versions_url)
        cmd = [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(LOCUSTFILE),
            "--headless",
            "--users",
            str(self.users),
            "--spawn-rate",
            str(self.spawn_rate),
            "--run-time",
            f"{self.run_time}s",
            "--stop-timeout",
            str(self.stop_timeout),
            "--csv",
            str(self.results / self.name),
            "--csv-full-history",
            "--html",
            str(self.results / f"{self.name}.html"),
            "--summary-json",
            str(self.results / f"{self.name}.json"),
            "--only-summary",
        ]
        if host:
            cmd += ["--host", host]
        if self.versions_url:
            cmd += ["--versions-url", self.versions_url]
        if self.reset_stats:
            cmd.append("--reset-stats")
        for key, value in self.options.items():
            if value is None or value == "":
                continue
            cmd += [f"--{key.replace('_', '-')}", str(value)]
        return [*cmd, *self.extra, SCENARIOS[self.scenario]]


@dataclass
class RunResult:
    """What a run left behind, read back."""

    spec: RunSpec
    returncode: int
    elapsed: float
    summary: dict[str, Any]
    stats: list[dict[str, str]]
    log: Path

    @property
    def passed(self) -> bool:
        return self.returncode == 0

    def row(self, name: str, method: str = "GET") -> dict[str, str] | None:
        return next((r for r in self.stats if r["Name"] == name and r["Type"] == method), None)

    @property
    def aggregated(self) -> dict[str, str]:
        return next((r for r in self.stats if r["Name"] == "Aggregated"), {})

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def _origin(url: str) -> str:
    return origin(url) if url else ""


def _read_csv(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _stop(proc: subprocess.Popen[Any], grace: float = 15) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_locust(
    spec: RunSpec,
    *,
    echo: IO[str] | None = None,
    env: dict[str, str] | None = None,
    on_start: Callable[[int], None] | None = None,
) -> RunResult:
    """Run Locust to completion (it stops by itself; a run that overstays its time by a minute is stopped).

    ``echo``: also copy Locust's output there as it comes (the command line shows it; tests and the benchmark don't).
    ``on_start``: called with Locust's process id once it runs (the benchmark samples its CPU time).
    """
    spec.results.mkdir(parents=True, exist_ok=True)
    log_path = spec.results / f"{spec.name}.log"
    deadline = spec.run_time + spec.stop_timeout + 60
    started = time.monotonic()
    run_env = {**os.environ, **(env or {})}
    run_env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), run_env.get("PYTHONPATH", "")) if p)
    with log_path.open("w", encoding="utf-8") as log:
        log.write("$ " + " ".join(spec.command()) + "\n")
        log.flush()
        proc = subprocess.Popen(
            spec.command(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=run_env, cwd=ROOT
        )
        assert proc.stdout is not None
        if on_start is not None:
            on_start(proc.pid)
        overdue = threading.Event()

        def watchdog() -> None:
            overdue.set()
            _stop(proc)

        timer = threading.Timer(deadline, watchdog)
        timer.start()
        try:
            for line in proc.stdout:
                log.write(line)
                if echo is not None:
                    echo.write(line)
                    echo.flush()
            proc.wait()
        finally:
            timer.cancel()
            _stop(proc)
        if overdue.is_set():
            log.write(f"loadtests: the run exceeded {deadline}s and was stopped\n")
    summary_path = spec.results / f"{spec.name}.json"
    try:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        summary = {}
    return RunResult(
        spec=spec,
        returncode=proc.returncode if proc.returncode is not None else -1,
        elapsed=time.monotonic() - started,
        summary=summary,
        stats=_read_csv(spec.results / f"{spec.name}_stats.csv"),
        log=log_path,
    )


class PeerProcess:
    """``python -m loadtests.peer`` on a free loopback port: the callback peer of the registration scenario, or (with
    ``--authorizations``) the load-test eMSP of the authorize scenario; with ``--record`` and several ``--party``, one
    recording receiver per party, each on its own port (``versions_urls``, in order)."""

    def __init__(self, host: str = "127.0.0.1", *args: str, port: int = 0) -> None:
        self.host = host
        self.args = args
        """More peer options, e.g. ``--authorizations tokens.csv --party ZZ/PER`` for the load-test eMSP."""
        self.port = port
        """The first receiver's port (0: any free one); a receiver restarted on its port keeps its URL."""
        self.proc: subprocess.Popen[str] | None = None
        self.versions_url = ""
        self.versions_urls: list[str] = []

    def start(self, timeout: float = 20) -> PeerProcess:
        expected = max(1, sum(1 for a in self.args if a == "--party"))
        self.versions_urls = []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "loadtests.peer", "--host", self.host, "--port", str(self.port), *self.args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=ROOT,
        )
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if line.startswith("listening on "):
                self.versions_urls.append(line.split(" ", 2)[2].strip())
                if len(self.versions_urls) == expected:
                    self.versions_url = self.versions_urls[0]
                    return self
                continue
            if not line and self.proc.poll() is not None:
                break
        self.stop()
        raise RuntimeError("the callback peer did not start")

    @property
    def base_url(self) -> str:
        return _origin(self.versions_url)

    def stats(self) -> dict[str, int]:
        import urllib.request

        with urllib.request.urlopen(f"{self.base_url}/stats", timeout=10) as response:  # noqa: S310 - our own peer
            result: dict[str, int] = json.loads(response.read())
            return result

    def stop(self) -> None:
        if self.proc is not None:
            _stop(self.proc, grace=5)
            self.proc = None

    def __enter__(self) -> PeerProcess:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


def register_peer(
    versions_url: str, token_a: str, peer_versions_url: str, party: str, role: str = "EMSP", version: str = "2.3.0"
) -> str:
    """Register the peer at ``peer_versions_url`` with the target as ``party`` (``CC/PID``) in ``role`` using token
    A, in OCPI ``version`` (the one the peer offers); returns token C.

    How the authorize scenario puts its load-test eMSP behind a hub: the target calls the peer back during the
    handshake, and afterwards forwards real-time authorizations for that party's tokens to it.
    """
    import base64
    import secrets
    import urllib.request

    def call(method: str, url: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        request = urllib.request.Request(  # noqa: S310 - the target's own advertised URLs
            url,
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": "Token " + base64.b64encode(token_a.encode()).decode()}
            | ({"Content-Type": "application/json"} if body is not None else {}),
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            answer: dict[str, Any] = json.loads(response.read())
            return answer

    versions = call("GET", versions_url)["data"]
    details_url = next(v["url"] for v in versions if v.get("version") == version)
    endpoints = call("GET", details_url)["data"]["endpoints"]
    credentials_url = next(e["url"] for e in endpoints if e.get("identifier") == "credentials")
    country, _, party_id = party.upper().partition("/")
    body = {
        "token": secrets.token_urlsafe(32),
        "url": peer_versions_url,
        "roles": [
            {
                "role": role,
                "party_id": party_id,
                "country_code": country,
                "business_details": {"name": f"Load-test {role} {country}-{party_id}"},
            }
        ],
    }
    answer = call("POST", credentials_url, body)
    if answer.get("status_code") != 1000:
        raise RuntimeError(f"registering the peer failed: {answer}")
    token: str = answer["data"]["token"]
    return token


# --- the push scenario: receivers, registration, matching ---------------------------------------------------------


def _received(peer: PeerProcess) -> list[tuple[str, float, str]]:
    import urllib.request

    with urllib.request.urlopen(f"{peer.base_url}/received", timeout=30) as response:  # noqa: S310 - our own peer
        return [(str(i), float(t), str(x)) for i, t, x in json.loads(response.read())]


def match_deliveries(
    acked: list[tuple[str, float, float]], received: dict[str, list[tuple[str, float, str]]]
) -> dict[str, Any]:
    """What each receiver got of the acknowledged pushes: missing ones, duplicates, and the delays.

    A push received twice under one X-Request-ID is a retry (allowed); under two different ones it is a duplicate
    (a failure: the receiver cannot tell it is the same delivery). ``after_ack_ms`` is receipt minus the moment the
    pusher had the answer (the hub's own delay; slightly negative when the hub delivers before its answer arrives),
    ``end_to_end_ms`` is receipt minus the moment the push was sent.
    """
    sent_at = {i: (sent, ack) for i, sent, ack in acked}
    out: dict[str, Any] = {"acknowledged": len(acked), "receivers": {}}
    after_ack: list[float] = []
    end_to_end: list[float] = []
    for party, items in received.items():
        first: dict[str, float] = {}
        request_ids: dict[str, set[str]] = {}
        retried = 0
        for location_id, moment, request_id in items:
            if location_id not in sent_at:
                continue
            first[location_id] = min(first.get(location_id, moment), moment)
            seen = request_ids.setdefault(location_id, set())
            retried += request_id in seen
            seen.add(request_id)
        missing = [i for i in sent_at if i not in first]
        duplicated = sorted(i for i, ids in request_ids.items() if len(ids) > 1)
        for location_id, moment in first.items():
            sent, ack = sent_at[location_id]
            after_ack.append((moment - ack) * 1000)
            end_to_end.append((moment - sent) * 1000)
        out["receivers"][party] = {
            "delivered": len(first),
            "missing": len(missing),
            "missing_examples": missing[:10],
            "duplicated": len(duplicated),
            "retried": retried,
        }
    out["after_ack_ms"] = data.percentiles(after_ack)
    out["end_to_end_ms"] = data.percentiles(end_to_end)
    out["missing"] = sum(r["missing"] for r in out["receivers"].values())
    out["duplicated"] = sum(r["duplicated"] for r in out["receivers"].values())
    return out


def run_push(
    spec: RunSpec,
    *,
    receivers: int,
    invitations: list[str],
    drain: float = 30.0,
    echo: IO[str] | None = None,
) -> tuple[RunResult, dict[str, Any]]:
    """Push Locations through a hub and measure their delivery at ``receivers`` recording eMSPs.

    Starts the receivers (``python -m loadtests.peer --record``) on 127.0.0.1, registers each with the target as an
    eMSP with one token A of ``invitations``, runs the Locust ``PushUser``, then waits up to ``drain`` seconds for
    every acknowledged push to reach every receiver and matches what they recorded (:func:`match_deliveries`).
    """
    if len(invitations) < receivers:
        raise ValueError(f"{receivers} receivers need {receivers} registration tokens A; got {len(invitations)}")
    country = data.party_country(invitations)
    spec.options["push_log"] = spec.results / f"{spec.name}.pushes.json"
    spec.options.setdefault("push_prefix", "LT" + datetime.now(UTC).strftime("%H%M%S"))
    with ExitStack() as stack:
        peers: dict[str, PeerProcess] = {}
        for index in range(receivers):
            party = f"{country}/{data.party_id(index)}"
            peer = stack.enter_context(PeerProcess("127.0.0.1", "--record", "--party", party))
            register_peer(spec.versions_url, invitations[index], peer.versions_url, party)
            peers[party] = peer
        result = run_locust(spec, echo=echo)
        acked: list[tuple[str, float, float]] = []
        for path in sorted(spec.results.glob(f"{spec.name}.pushes.json*")):
            acked += [(str(i), float(s), float(a)) for i, s, a in json.loads(path.read_text(encoding="utf-8"))]
        wanted = {i for i, _, _ in acked}
        deadline = time.monotonic() + drain
        while True:
            received = {party: _received(peer) for party, peer in peers.items()}
            complete = all(wanted <= {i for i, _, _ in items} for items in received.values())
            if complete or time.monotonic() >= deadline:
                break
            time.sleep(0.5)
    deliveries = match_deliveries(acked, received)
    deliveries["drained"] = complete
    summary_path = spec.results / f"{spec.name}.json"
    result.summary["deliveries"] = deliveries
    problems = []
    if deliveries["missing"]:
        problems.append(f"{deliveries['missing']} acknowledged pushes never reached a receiver within {drain:.0f} s")
    if deliveries["duplicated"]:
        problems.append(f"{deliveries['duplicated']} pushes delivered twice under different X-Request-IDs")
    if not acked:
        problems.append("no push was acknowledged")
    if problems:
        result.summary["passed"] = False
        result.summary.setdefault("problems", []).extend(problems)
        result.returncode = result.returncode or 1
    summary_path.write_text(json.dumps(result.summary, indent=2) + "\n", encoding="utf-8")
    return result, deliveries


# --- command line -------------------------------------------------------------------------------------------------

EPILOG = """\
examples:
  python -m loadtests token --versions-url http://127.0.0.1:8080/ocpi/versions --tokens tokens.txt \\
      --users 50 --run-time 1m --max-p99-ms 50
  python -m loadtests registration --versions-url http://127.0.0.1:8080/ocpi/versions \\
      --invitations invitations.txt --users 50 --run-time 2m
  python -m loadtests pages --versions-url http://127.0.0.1:8080/ocpi/versions --tokens tokens.txt \\
      --module locations --from-party AA/000 --to-party NL/HUB --users 10 --run-time 1m
  python -m loadtests authorize --versions-url http://127.0.0.1:8080/ocpi/versions --tokens cpo-token.txt \\
      --from-party AA/000 --tokens-file tokens.csv --unknown-share 0.1 --users 20 --run-time 1m
  python -m loadtests push --versions-url http://127.0.0.1:8080/ocpi/versions --tokens cpo-token.txt \\
      --from-party AA/000 --to-party NL/HUB --invitations invitations.txt --receivers 2 --users 10 --run-time 1m
  python -m loadtests token ... -- --processes 2        (anything after -- goes to Locust as it is)

Results (CSV, HTML report, log, summary JSON) go to --results (default loadtest-results/<time>-<scenario>/).
A progress line every 5 s (--progress-every); the verdict and thresholds end the output, the summary JSON and the
HTML report.

exit codes:
  0    every threshold held
  1    a threshold failed or an answer was wrong
  2    usage mistake: unknown scenario or option, bad number or duration, missing, unreadable or empty file,
       the load-test tools not installed (pip install "ocpi-hub[loadtest]")
  3    the target cannot be reached (nothing was measured)
  130  interrupted (Ctrl-C)
Every mistake is told in one line on standard error; --debug adds the traceback.
"""

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNREACHABLE, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
PROG = "python -m loadtests"
REACH_TIMEOUT = 5.0
"""Seconds to wait for the target's first answer before saying it cannot be reached."""


class UsageError(Exception):
    """A mistake in how the run was asked for, told in one line (exit code 2 unless said otherwise)."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors that name the scenarios when none was recognised."""

    scenarios: tuple[str, ...] = ()

    def error(self, message: str) -> NoReturn:
        if self.scenarios:
            if "required: SCENARIO" in message:
                message = "name a scenario"
            elif "invalid choice" in message:
                message = "unknown scenario " + message.split("invalid choice: ", 1)[1].split(" (choose", 1)[0]
            message += f"; scenarios: {', '.join(self.scenarios)}"
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see {PROG} --help)\n")


def _number(kind: type[int] | type[float], low: float, high: float | None = None) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a {'whole ' if kind is int else ''}number") from None
        if value < low or (high is not None and value > high):
            bounds = f"from {low:g} to {high:g}" if high is not None else f"at least {low:g}"
            raise argparse.ArgumentTypeError(f"{text} is out of range ({bounds})")
        return value

    parse.__name__ = kind.__name__
    return parse


def _duration(text: str) -> int:
    try:
        seconds = parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if seconds < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is too short (at least 1s)")
    return seconds


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Headless Locust load tests of an OCPI 2.3.0 implementation (any versions URL).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {_version()} (OCPI 2.3.0)")
    sub = parser.add_subparsers(dest="scenario", required=True, metavar="SCENARIO", parser_class=_Parser)
    token = sub.add_parser("token", help="token validation: authenticated GETs, a share of unknown tokens")
    registration = sub.add_parser("registration", help="credentials handshakes then rotation, each exactly once")
    ceiling = sub.add_parser("ceiling", help="the token-validation requests against a bare endpoint (a ceiling)")
    pages = sub.add_parser("pages", help="first page and deep page of one Sender list, half each")
    authorize = sub.add_parser("authorize", help="real-time authorization of drivers' tokens, a share unknown")
    push = sub.add_parser("push", help="Locations pushed through a hub, delivery measured at recording receivers")
    for p in (token, registration, ceiling, pages, authorize, push):
        target = p.add_argument_group("target")
        if p is ceiling:
            target.add_argument("--host", required=True, help="base URL of the bare endpoint (loadtests/bare_app.py)")
        else:
            target.add_argument("--versions-url", required=True, help="the target's OCPI versions URL")
        load = p.add_argument_group("load (every run is bounded)")
        load.add_argument("--users", type=_number(int, 1), default=20, help="concurrent users (default 20)")
        load.add_argument(
            "--spawn-rate", type=_number(float, 0.01), default=20, help="users started per second (default 20)"
        )
        load.add_argument("--run-time", type=_duration, default=30, help="duration, e.g. 30s, 2m, 1m30s (default 30s)")
        load.add_argument(
            "--max-requests", type=_number(int, 0), default=0, help="stop after N requests (default: no limit)"
        )
        load.add_argument("--reset-stats", action="store_true", help="measure only once every user is running")
        limits = p.add_argument_group("pass/fail thresholds")
        limits.add_argument(
            "--max-fail-ratio", type=_number(float, 0, 1), default=0.0, help="0 to 1 (default 0: any failure fails)"
        )
        limits.add_argument("--max-p95-ms", type=_number(float, 0), default=0.0, help="default: no limit")
        limits.add_argument("--max-p99-ms", type=_number(float, 0), default=0.0, help="default: no limit")
        out = p.add_argument_group("output")
        out.add_argument("--results", type=Path, help="results folder (default loadtest-results/<time>-<scenario>)")
        out.add_argument("--name", help="file name prefix inside it (default: the scenario)")
        out.add_argument("--quiet", action="store_true", help="do not echo Locust's output")
        out.add_argument(
            "--progress-every",
            type=_number(float, 0),
            default=5.0,
            help="seconds between progress lines (requests, failures, percentiles; default 5, 0: none)",
        )
        out.add_argument("--debug", action="store_true", help="show the traceback of a failure")
    for p in (token, ceiling):
        p.add_argument("--tokens", required=True, help="file of valid credentials tokens, one per line")
        p.add_argument(
            "--unknown-share", type=_number(float, 0, 1), default=0.1, help="share of unknown tokens (default 0.1)"
        )
        p.add_argument(
            "--endpoints",
            default="versions,details,credentials",
            help="what to GET, optionally weighted (default versions,details,credentials)",
        )
        p.add_argument(
            "--rate", type=_number(float, 0), default=0.0, help="fixed total req/s (default: as fast as possible)"
        )
    for p in (pages, authorize, push):
        p.add_argument("--tokens", required=True, help="file of credentials tokens; the first one is used")
        p.add_argument("--from-party", default="", help="OCPI-from-* as CC/PID (the party the token belongs to)")
        p.add_argument("--to-party", default="", help="OCPI-to-* as CC/PID (GET-all on a hub: the hub itself)")
    pages.add_argument("--module", default="locations", help="the Sender list to page through (default locations)")
    authorize.add_argument("--tokens-file", required=True, help="uid,type,allowed CSV of the drivers' tokens")
    authorize.add_argument(
        "--unknown-share", type=_number(float, 0, 1), default=0.1, help="share of unknown tokens (default 0.1)"
    )
    authorize.add_argument(
        "--rate", type=_number(float, 0), default=0.0, help="fixed total req/s (default: as fast as possible)"
    )
    push.add_argument(
        "--rate", type=_number(float, 0), default=0.0, help="fixed total pushes/s (default: as fast as possible)"
    )
    push.add_argument(
        "--receivers", type=_number(int, 1), default=2, help="recording eMSPs to start and register (default 2)"
    )
    push.add_argument(
        "--invitations", required=True, help="file of registration tokens A, one per receiver (each used once)"
    )
    push.add_argument(
        "--drain",
        type=_number(float, 0),
        default=30.0,
        help="seconds to wait after the run for deliveries to arrive (default 30)",
    )
    registration.add_argument("--invitations", required=True, help="file of registration tokens A, one per line")
    registration.add_argument(
        "--peer-url",
        help="versions URL of a running callback peer (default: start python -m loadtests.peer on 127.0.0.1; "
        "a target on another host needs a peer it can reach)",
    )
    registration.add_argument("--party-country", help="country code of the registered parties (default: derived)")
    parser.scenarios = tuple(sub.choices)
    return parser


def _print_result(result: RunResult, out: IO[str]) -> None:
    summary = result.summary
    agg = result.aggregated
    exact = summary.get("exact") or {}
    latency = exact.get("latency_ms") or {}
    out.write(f"\nresults: {result.spec.results}\n")
    if agg:
        out.write(
            f"requests {agg.get('Request Count')}  failures {agg.get('Failure Count')}  "
            f"req/s {exact.get('rps') or agg.get('Requests/s')}  "
            f"p50 {latency.get('p50', agg.get('50%'))} ms  p95 {latency.get('p95', agg.get('95%'))} ms  "
            f"p99 {latency.get('p99', agg.get('99%'))} ms\n"
        )
    by_name = exact.get("by_name") or {}
    first = next((v for k, v in by_name.items() if k.endswith("[first page]")), None)
    deep = next((v for k, v in by_name.items() if k.endswith("[deep page]")), None)
    if first and deep and first.get("p50"):
        out.write(
            f"first page p50 {first['p50']} ms, deep page p50 {deep['p50']} ms: "
            f"deep/first {deep['p50'] / first['p50']:.2f}\n"
        )
    deliveries = summary.get("deliveries")
    if deliveries:
        delays, total = deliveries.get("end_to_end_ms") or {}, deliveries.get("after_ack_ms") or {}
        out.write(
            f"pushes acknowledged {deliveries['acknowledged']}; delivered to {len(deliveries['receivers'])} receivers: "
            f"missing {deliveries['missing']}, duplicated {deliveries['duplicated']}; "
            f"send-to-receipt p50 {delays.get('p50')} ms p99 {delays.get('p99')} ms; "
            f"answer-to-receipt p50 {total.get('p50')} ms p99 {total.get('p99')} ms\n"
        )
    if summary.get("registrations"):
        out.write(f"registrations: {json.dumps(summary['registrations'])}\n")
    verdict = "PASSED" if result.passed else "FAILED"
    problems = "; ".join(summary.get("problems") or []) or ("" if result.passed else f"exit code {result.returncode}")
    out.write(f"{verdict}{': ' + problems if problems else ''}\n")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ocpi-hub")
    except PackageNotFoundError:
        return "unknown"


def _check_tools() -> None:
    """Locust (and jsonschema, which the harness's checks use) come with the ``[loadtest]`` extra, not the hub."""
    missing = [name for name in ("locust", "jsonschema") if find_spec(name) is None]
    if missing:
        raise UsageError(
            f"{PROG} needs {' and '.join(missing)}, which the hub alone does not install: "
            'pip install "ocpi-hub[loadtest]" (or make install)'
        )


def _check_file(path: str, option: str, hint: str) -> None:
    """A file the run reads, checked before Locust starts (inside it, each user would fail on its own)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{option} {path}: no such file ({hint})") from None
    except OSError as exc:
        raise UsageError(f"cannot read {option} {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{option} {path} is not a text file") from None
    if not any(line.strip() and not line.startswith("#") for line in text.splitlines()):
        raise UsageError(f"{option} {path} is empty ({hint})")


def _check_reachable(url: str) -> None:
    """Any HTTP answer will do (401 included): the point is to tell "nothing listens there" in one line."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=REACH_TIMEOUT):  # noqa: S310 - the target the user named
            return
    except urllib.error.HTTPError:
        return
    except ValueError as exc:
        raise UsageError(f"{url!r} is not a URL the load test can call: {exc}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        reason = getattr(reason, "strerror", None) or str(reason)
        raise UsageError(
            f"cannot reach the target at {url}: {reason}; is it running, and is the URL right?", EXIT_UNREACHABLE
        ) from None


def _preflight(args: argparse.Namespace) -> None:
    _check_tools()
    tokens_hint = "make one with: ocpi-hub seed --parties 100 --export tokens.txt"
    invitations_hint = "make one with: ocpi-hub invite --count 100 --export invitations.txt"
    if getattr(args, "tokens", None):
        _check_file(args.tokens, "--tokens", tokens_hint)
    if getattr(args, "invitations", None):
        _check_file(args.invitations, "--invitations", invitations_hint)
    if getattr(args, "tokens_file", None):
        _check_file(args.tokens_file, "--tokens-file", "make one with: ocpi-hub seed-tokens ... --export tokens.csv")
    _check_reachable(getattr(args, "versions_url", None) or args.host)


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in args_list:
        cut = args_list.index("--")
        args_list, extra = args_list[:cut], args_list[cut + 1 :]
    args = build_parser().parse_args(args_list)
    try:
        _preflight(args)
        return _run(args, extra)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        if args.debug:
            import traceback

            traceback.print_exc()
        if isinstance(exc, UsageError):
            print(f"{PROG} {args.scenario}: {exc}", file=sys.stderr)
            return exc.code
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        hint = "" if args.debug else " (--debug shows the traceback)"
        print(f"{PROG} {args.scenario}: {text}{hint}", file=sys.stderr)
        return EXIT_FAILED


def _run(args: argparse.Namespace, extra: list[str]) -> int:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    results = args.results or Path("loadtest-results") / f"{stamp}-{args.scenario}"
    options: dict[str, Any] = {
        "max_requests": args.max_requests or None,
        "max_fail_ratio": args.max_fail_ratio,
        "max_p95_ms": args.max_p95_ms or None,
        "max_p99_ms": args.max_p99_ms or None,
        "progress_every": args.progress_every,
    }
    if args.scenario in ("pages", "authorize", "push"):
        options.update(tokens=Path(args.tokens).resolve(), from_party=args.from_party, to_party=args.to_party)
    if args.scenario == "pages":
        options.update(module=args.module)
    if args.scenario == "push":
        options.update(rate=args.rate or None)
    if args.scenario == "authorize":
        options.update(
            tokens_file=Path(args.tokens_file).resolve(), unknown_share=args.unknown_share, rate=args.rate or None
        )
    if args.scenario in ("token", "ceiling"):
        options.update(
            tokens=Path(args.tokens).resolve(),
            unknown_share=args.unknown_share,
            endpoints=args.endpoints,
            rate=args.rate or None,
        )
    spec = RunSpec(
        scenario=args.scenario,
        results=results.resolve(),
        name=args.name or args.scenario,
        versions_url=getattr(args, "versions_url", "") or "",
        host=getattr(args, "host", "") or "",
        users=args.users,
        spawn_rate=args.spawn_rate,
        run_time=args.run_time,
        reset_stats=args.reset_stats,
        options=options,
        extra=extra,
    )
    echo = None if args.quiet else sys.stdout
    if args.scenario == "push":
        invitations = data.read_tokens(args.invitations)
        result, _ = run_push(spec, receivers=args.receivers, invitations=invitations, drain=args.drain, echo=echo)
        _print_result(result, sys.stdout)
        return result.returncode
    if args.scenario != "registration":
        result = run_locust(spec, echo=echo)
        _print_result(result, sys.stdout)
        return result.returncode
    spec.options.update(invitations=Path(args.invitations).resolve(), party_country=args.party_country)
    spec.stop_timeout = 30  # let handshakes under way finish, so none is left half done
    if args.peer_url:
        spec.options["peer_url"] = args.peer_url
        result = run_locust(spec, echo=echo)
    else:
        with PeerProcess() as peer:
            spec.options["peer_url"] = peer.versions_url
            result = run_locust(spec, echo=echo)
            sys.stdout.write(f"callback peer served: {json.dumps(peer.stats())}\n")
    _print_result(result, sys.stdout)
    return result.returncode
