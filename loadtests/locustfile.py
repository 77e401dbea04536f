"""Locust entry point: load tests of OCPI 2.3.0 token validation and registration against ANY implementation.

Pick the scenario by user class on the command line:

    locust -f loadtests/locustfile.py --headless -u 50 -r 50 -t 30s \\
        --versions-url http://127.0.0.1:8080/ocpi/versions --tokens tokens.txt TokenValidationUser
    locust -f loadtests/locustfile.py --headless -u 50 -r 50 -t 60s \\
        --versions-url http://127.0.0.1:8080/ocpi/versions --invitations invitations.txt \\
        --peer-url http://127.0.0.1:9000/ocpi/versions RegistrationUser

(``python -m loadtests`` wraps this with result folders and a peer process; see loadtests/README.md.)
Every option below can also come from the environment (``LOCUST_VERSIONS_URL``, ...) or a ``locust.conf``.

The run fails (exit code 1) when the error ratio, the p95 or the p99 latency passes its limit, when no request was
made, or when a registration did not happen exactly once; it exits 3 when the target cannot be reached and 2 when the
run is set up wrong (a missing option or file), saying so in one line. Expected HTTP 401s count as successes. While it
runs, a progress line every ``--progress-every`` seconds; at the end, the thresholds and the verdict go into the
summary JSON and at the top of Locust's HTML report.
"""

from __future__ import annotations

import html
import json
import logging
import time
import urllib.parse
from array import array
from pathlib import Path
from typing import Any

import gevent
from locust import events
from locust.env import Environment
from locust.runners import LocalRunner, MasterRunner, WorkerRunner
from locust.stats import CSV_STATS_INTERVAL_SEC

from loadtests import data
from loadtests.users import (
    FATAL,
    LEDGER,
    PUSHES,
    AuthorizeUser,
    BareCeilingUser,
    PagesUser,
    PushUser,
    RegistrationUser,
    TokenValidationUser,
    on_test_start,
    options,
)
from loadtests.users import verify_registrations as _verify_registrations

__all__ = ("AuthorizeUser", "BareCeilingUser", "PagesUser", "PushUser", "RegistrationUser", "TokenValidationUser")

log = logging.getLogger("loadtests")

NOT_HTTP = ("FLOW", "CHECK")
"""Rows that are not single HTTP requests: kept out of the latency figures, counted in the error ratio."""


@events.init_command_line_parser.add_listener
def _arguments(parser: Any) -> None:
    group = parser.add_argument_group("OCPI load tests (loadtests/locustfile.py)")
    group.add_argument("--versions-url", env_var="LOCUST_VERSIONS_URL", default="", help="the target's versions URL")
    group.add_argument(
        "--tokens", env_var="LOCUST_TOKENS", default="", help="file of valid credentials tokens, one per line"
    )
    group.add_argument(
        "--tokens-file",
        env_var="LOCUST_TOKENS_FILE",
        default="",
        help="authorize scenario: uid,type,allowed CSV of the drivers' tokens (ocpi-hub seed-tokens --export)",
    )
    group.add_argument(
        "--module", env_var="LOCUST_MODULE", default="locations", help="pages scenario: the Sender list (locations)"
    )
    group.add_argument(
        "--from-party", env_var="LOCUST_FROM_PARTY", default="", help="OCPI-from-* as CC/PID on functional modules"
    )
    group.add_argument(
        "--to-party", env_var="LOCUST_TO_PARTY", default="", help="OCPI-to-* as CC/PID on functional modules"
    )
    group.add_argument(
        "--unknown-share",
        env_var="LOCUST_UNKNOWN_SHARE",
        type=float,
        default=0.1,
        help="fraction of token-validation requests made with an unknown token, which must get HTTP 401 (0.1)",
    )
    group.add_argument(
        "--endpoints",
        env_var="LOCUST_ENDPOINTS",
        default="versions,details,credentials",
        help="what token validation GETs, optionally weighted: e.g. versions:2,details,credentials",
    )
    group.add_argument(
        "--rate",
        env_var="LOCUST_RATE",
        type=float,
        default=0.0,
        help="fixed total request rate in req/s, spread over the users (default 0: as fast as possible)",
    )
    group.add_argument(
        "--invitations",
        env_var="LOCUST_INVITATIONS",
        default="",
        help="file of registration tokens A, one per line, each used once (ocpi-hub invite --count N output works)",
    )
    group.add_argument(
        "--peer-url",
        env_var="LOCUST_PEER_URL",
        default="",
        help="versions URL of the callback peer the target calls during registration (python -m loadtests.peer)",
    )
    group.add_argument(
        "--party-country",
        env_var="LOCUST_PARTY_COUNTRY",
        default="",
        help="country code of the parties registered (default: derived from the invitations file)",
    )
    group.add_argument(
        "--push-prefix",
        env_var="LOCUST_PUSH_PREFIX",
        default="LT",
        help="push scenario: prefix of the new Location ids (make it unique per run)",
    )
    group.add_argument(
        "--push-log",
        env_var="LOCUST_PUSH_LOG",
        default="",
        help="push scenario: write [location id, sent, acknowledged] of every acknowledged push here (JSON)",
    )
    group.add_argument(
        "--max-requests",
        env_var="LOCUST_MAX_REQUESTS",
        type=int,
        default=0,
        help="stop after this many HTTP requests per load-generating process (default 0: no limit)",
    )
    group.add_argument(
        "--max-fail-ratio",
        env_var="LOCUST_MAX_FAIL_RATIO",
        type=float,
        default=0.0,
        help="fail the run above this ratio of failed requests (default 0: any failure fails)",
    )
    group.add_argument(
        "--max-p95-ms", env_var="LOCUST_MAX_P95_MS", type=float, default=0.0, help="p95 limit in ms (0: no limit)"
    )
    group.add_argument(
        "--max-p99-ms", env_var="LOCUST_MAX_P99_MS", type=float, default=0.0, help="p99 limit in ms (0: no limit)"
    )
    group.add_argument(
        "--progress-every",
        env_var="LOCUST_PROGRESS_EVERY",
        type=float,
        default=5.0,
        help="seconds between progress lines: requests, failures, rate and percentiles (0: none)",
    )
    group.add_argument(
        "--summary-json",
        env_var="LOCUST_SUMMARY_JSON",
        default="",
        help="write the verdict, exact latency percentiles and the registration ledger to this file",
    )


class Recorder:
    """Exact response times (Locust rounds its own to whole milliseconds, too coarse for a 1.2 latency ratio)."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.times: dict[str, array[float]] = {}
        self.total: array[float] = array("d")
        self.first = 0.0
        self.last = 0.0
        self.first_epoch = 0.0
        self.requests = 0

    def add(self, key: str, response_time: float) -> None:
        now = time.perf_counter()
        if not self.requests:
            self.first = now - response_time / 1000
            self.first_epoch = time.time() - response_time / 1000
        self.last = now
        self.requests += 1
        self.total.append(response_time)
        self.times.setdefault(key, array("d")).append(response_time)

    @staticmethod
    def percentiles(values: array[float]) -> dict[str, float]:
        return data.percentiles(values)

    def report(self) -> dict[str, Any]:
        elapsed = self.last - self.first
        return {
            "http_requests": self.requests,
            "rps": round(self.requests / elapsed, 1) if elapsed > 0 else 0.0,
            "window": [round(self.first_epoch, 3), round(self.first_epoch + elapsed, 3)],
            "latency_ms": self.percentiles(self.total),
            "by_name": {key: self.percentiles(values) for key, values in sorted(self.times.items())},
        }


RECORDER = Recorder()
_STOPPING = False


@events.init.add_listener
def _init(environment: Environment, **_: Any) -> None:
    opts = options(environment)
    if opts is None:  # created by a test harness without a command line
        return
    if not environment.host and opts.versions_url:
        parts = urllib.parse.urlsplit(opts.versions_url)
        environment.host = f"{parts.scheme}://{parts.netloc}"


@events.test_start.add_listener
def _test_start(environment: Environment, **_: Any) -> None:
    global _STOPPING
    _STOPPING = False
    RECORDER.reset()
    on_test_start(environment)
    if not isinstance(environment.runner, WorkerRunner) and options(environment) is not None:
        gevent.spawn(_progress, environment)


def _progress(environment: Environment) -> None:
    """One line every few seconds, so that a long run shows it is alive and how it goes before it ends.

    Percentiles are exact over the requests since the previous line when this process makes them, else (a master)
    Locust's own over the run so far."""
    every = float(options(environment).progress_every or 0)
    if every <= 0:
        return
    started = time.monotonic()
    seen = 0
    while True:
        gevent.sleep(every)
        runner = environment.runner
        if _STOPPING or runner is None or runner.state in ("stopping", "stopped", "cleanup"):
            return
        total = environment.stats.total
        if RECORDER.requests:
            seen = min(seen, len(RECORDER.total))
            recent = data.percentiles(RECORDER.total[seen:])
            rate = (len(RECORDER.total) - seen) / every
            seen = len(RECORDER.total)
            window = f"last {every:g} s"
            p50, p95, p99 = (recent.get(k) for k in ("p50", "p95", "p99"))
        else:
            rate = float(total.current_rps or 0)
            window = "run so far"
            p50, p95, p99 = (total.get_response_time_percentile(q) for q in (0.5, 0.95, 0.99))
        log.info(
            "progress %.0f s: %d requests, %d failures, %.0f req/s; p50 %s ms, p95 %s ms, p99 %s ms (%s)",
            time.monotonic() - started,
            total.num_requests,
            total.num_failures,
            rate,
            _ms(p50),
            _ms(p95),
            _ms(p99),
            window,
        )


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


class _EnvHolder:
    environment: Environment | None = None


_ENV = _EnvHolder()


@events.init.add_listener
def _keep_env(environment: Environment, **_: Any) -> None:
    _ENV.environment = environment


@events.spawning_complete.add_listener
def _spawned(user_count: int, **_: Any) -> None:
    """Follow Locust's ``--reset-stats``: the figures start once every user runs."""
    if _ENV.environment is not None and _ENV.environment.reset_stats:
        RECORDER.reset()


@events.request.add_listener
def _request(request_type: str, name: str, response_time: float, **_: Any) -> None:
    global _STOPPING
    if request_type in NOT_HTTP:
        return
    RECORDER.add(f"{request_type} {name}", response_time)
    environment = _ENV.environment
    limit = int(options(environment).max_requests or 0) if environment is not None else 0
    if limit and RECORDER.requests >= limit and not _STOPPING and environment is not None:
        _STOPPING = True
        log.info("--max-requests %d reached; stopping", limit)
        runner = environment.runner
        if isinstance(runner, LocalRunner):
            gevent.spawn(runner.quit)
        elif isinstance(runner, WorkerRunner):
            gevent.spawn(runner.stop)


@events.test_stop.add_listener
def _test_stop(environment: Environment, **_: Any) -> None:
    if not isinstance(environment.runner, MasterRunner):
        _verify_registrations(environment)
        PUSHES.write(environment)
    if not isinstance(environment.runner, WorkerRunner) and getattr(options(environment), "csv_prefix", None):
        # Locust rewrites its CSV files once a second and not again at exit: give it one more turn now that the
        # users have stopped, so the files hold the final figures.
        gevent.sleep(CSV_STATS_INTERVAL_SEC + 0.25)


def verdict(environment: Environment) -> dict[str, Any]:
    """Thresholds against this run's figures: exact percentiles when this process made the requests, else Locust's."""
    opts = options(environment)
    stats = environment.stats
    total = stats.total
    http = [e for e in stats.entries.values() if e.method not in NOT_HTTP]
    requests = sum(e.num_requests for e in http)
    exact = RECORDER.report() if RECORDER.requests else None
    if exact:
        p95, p99 = exact["latency_ms"]["p95"], exact["latency_ms"]["p99"]
    else:
        p95 = float(total.get_response_time_percentile(0.95) or 0)
        p99 = float(total.get_response_time_percentile(0.99) or 0)
    problems = []
    if requests == 0:
        problems.append("no HTTP request was made")
    if total.fail_ratio > opts.max_fail_ratio:
        problems.append(
            f"fail ratio {total.fail_ratio:.4f} > {opts.max_fail_ratio} ({total.num_failures} of {total.num_requests})"
        )
    if opts.max_p95_ms and p95 > opts.max_p95_ms:
        problems.append(f"p95 {p95:.1f} ms > {opts.max_p95_ms} ms")
    if opts.max_p99_ms and p99 > opts.max_p99_ms:
        problems.append(f"p99 {p99:.1f} ms > {opts.max_p99_ms} ms")
    if any("429" in str(e.error) for e in stats.errors.values()):
        problems.append(
            "the target answered HTTP 429 (too many requests): it limits failed authentications or request rates; "
            "lift that limit for the load test (the reference hub: OCPI_HUB_AUTH_FAILURE_LIMIT=0, as make run does) "
            "or lower --unknown-share"
        )
    if FATAL.message:
        problems.insert(0, f"cannot run: {FATAL.message}")
    return {
        "passed": not problems,
        "problems": problems,
        "requests": total.num_requests,
        "failures": total.num_failures,
        "fail_ratio": round(total.fail_ratio, 6),
        "p95_ms": p95,
        "p99_ms": p99,
        # null: no limit (a fail ratio of 0 is a limit: any failure fails)
        "limits": {
            "fail_ratio": opts.max_fail_ratio,
            "p95_ms": opts.max_p95_ms or None,
            "p99_ms": opts.max_p99_ms or None,
        },
        "exact": exact,
        "errors": [
            {"method": e.method, "name": e.name, "error": str(e.error), "occurrences": e.occurrences}
            for e in list(stats.errors.values())[:50]
        ],
        "registrations": LEDGER.summary() if LEDGER.loaded else None,
    }


@events.quitting.add_listener
def _quitting(environment: Environment, **_: Any) -> None:
    if isinstance(environment.runner, WorkerRunner) or options(environment) is None:
        return
    result = verdict(environment)
    environment.process_exit_code = FATAL.code if FATAL.message else 0 if result["passed"] else 1
    _REPORT["verdict"] = result
    if FATAL.message:
        pass  # said once already, when it happened
    elif result["passed"]:
        log.info("thresholds passed: %d requests, fail ratio %.4f", result["requests"], result["fail_ratio"])
    else:
        log.error("THRESHOLDS FAILED: %s", "; ".join(result["problems"]))
    path = options(environment).summary_json
    if path:
        Path(path).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


_REPORT: dict[str, Any] = {}
"""The verdict, kept for the HTML report (Locust writes the report after ``quitting`` and before ``quit``)."""

_ROOT = '<div id="root"></div>'


def verdict_html(result: dict[str, Any]) -> str:
    """A block for the top of Locust's HTML report: the thresholds, the figures they were held against, the verdict."""
    limits = result.get("limits") or {}

    def limit(value: Any, unit: str = "") -> str:
        return "no limit" if value is None else f"{value}{unit}"

    rows = [
        ("failure ratio", f"{result.get('fail_ratio')}", limit(limits.get("fail_ratio"))),
        ("p95 latency", f"{result.get('p95_ms')} ms", limit(limits.get("p95_ms"), " ms")),
        ("p99 latency", f"{result.get('p99_ms')} ms", limit(limits.get("p99_ms"), " ms")),
    ]
    passed = bool(result.get("passed"))
    colour = "#1b5e20" if passed else "#b71c1c"
    problems = "".join(f"<li>{html.escape(str(p))}</li>" for p in result.get("problems") or [])
    cells = "".join(
        f"<tr><td>{html.escape(name)}</td><td>{html.escape(measured)}</td><td>{html.escape(maximum)}</td></tr>"
        for name, measured, maximum in rows
    )
    return (
        '<section id="ocpi-verdict" style="font-family:sans-serif;padding:12px 24px;border-bottom:1px solid #ccc">'
        f'<h2 style="margin:0 0 8px;color:{colour}">Verdict: {"PASSED" if passed else "FAILED"}</h2>'
        f'<p style="margin:4px 0">{result.get("requests")} requests, {result.get("failures")} failures '
        "(latency thresholds use exact response times of the HTTP requests)</p>"
        '<table style="border-collapse:collapse" cellpadding="4"><tr><th align="left">threshold</th>'
        f'<th align="left">measured</th><th align="left">limit</th></tr>{cells}</table>'
        + (f"<ul>{problems}</ul>" if problems else "")
        + "</section>"
    )


@events.quit.add_listener
def _report_verdict(**_: Any) -> None:
    environment = _ENV.environment
    result = _REPORT.get("verdict")
    path = getattr(options(environment), "html_file", None) if environment is not None else None
    if not result or not path:
        return
    try:
        page = Path(path).read_text(encoding="utf-8")
    except OSError:
        return
    block = verdict_html(result)
    page = page.replace(_ROOT, block + _ROOT, 1) if _ROOT in page else page.replace("</body>", block + "</body>", 1)
    Path(path).write_text(page, encoding="utf-8")
