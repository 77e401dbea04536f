"""The Locust users: token validation, registration, and the bare-endpoint ceiling.

Runs inside Locust only (it imports locust, which monkey-patches the process with gevent). Options come from the
custom arguments that ``locustfile.py`` adds to Locust's parser; read them through :func:`options`.

Requests are named after their URL template (the path of the URL the target advertised), so the statistics stay
readable against any implementation; requests made with an unknown token carry ``[unknown token]``.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import random
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn

import gevent
from gevent import GreenletExit
from gevent.lock import BoundedSemaphore
from locust import FastHttpUser, constant_throughput, task
from locust.env import Environment
from locust.exception import StopUser
from locust.runners import LocalRunner, WorkerRunner

from conformance.urls import endpoint_url, path_of
from loadtests import data
from loadtests.checks import Finding, exchange_of, expect_success, expect_unauthorized, short

__all__ = (
    "EXIT_UNREACHABLE",
    "EXIT_USAGE",
    "FATAL",
    "LEDGER",
    "PUSHES",
    "AuthorizeUser",
    "BareCeilingUser",
    "PagesUser",
    "PushUser",
    "RegistrationUser",
    "TokenValidationUser",
    "options",
)

log = logging.getLogger("loadtests")

OCPI_VERSION = "2.3.0"
ENDPOINTS = ("versions", "details", "credentials")
"""What the token-validation scenario can GET: the versions list, the 2.3.0 version details and the credentials."""
BARE_PATHS = ("/ocpi/versions", "/ocpi/2.3.0", "/ocpi/2.3.0/credentials")
"""Where the ceiling user sends the same three requests (the bare app answers any path)."""
UNKNOWN = " [unknown token]"
ROTATED_OUT = " [rotated-out token]"


EXIT_FAILED = 1
"""A threshold failed or an answer was wrong."""
EXIT_USAGE = 2
"""The run was set up wrong (a missing option, an unreadable or empty file)."""
EXIT_UNREACHABLE = 3
"""The target could not be reached: nothing was measured."""


class _Fatal:
    """Why the run cannot go on at all, said once (Locust would print one traceback per user)."""

    def __init__(self) -> None:
        self.message: str | None = None
        self.code = 0


FATAL = _Fatal()


def give_up(environment: Environment, message: str, code: int) -> NoReturn:
    """Stop the whole run for a reason every user would share: one log line, the exit code, and this user ends
    quietly (a GreenletExit is how Locust ends a user without a traceback)."""
    if FATAL.message is None:
        FATAL.message, FATAL.code = message, code
        log.error("cannot run: %s", message)
        runner = environment.runner
        if isinstance(runner, LocalRunner | WorkerRunner):
            gevent.spawn_later(0.1, runner.quit)
    raise GreenletExit


def _discovery_failed(environment: Environment, error: str | None) -> NoReturn:
    unreachable = "no response" in (error or "")
    give_up(
        environment,
        f"{'the target cannot be reached' if unreachable else 'endpoint discovery failed'}: {error}",
        EXIT_UNREACHABLE if unreachable else EXIT_FAILED,
    )


def _read_file(environment: Environment, path: str, option: str) -> list[str]:
    try:
        return data.read_tokens(path)
    except OSError as exc:
        give_up(environment, f"cannot read {option} {path}: {exc.strerror}", EXIT_USAGE)


def options(environment: Environment) -> Any:
    """The parsed command line (Locust's own and ours)."""
    return environment.parsed_options


def _generator_slot(environment: Environment) -> tuple[int, int]:
    """``(index, count)`` of this load-generating process, to split token files between Locust workers."""
    runner = environment.runner
    if isinstance(runner, WorkerRunner):
        return max(runner.worker_index, 0), max(int(getattr(options(environment), "expect_workers", 1) or 1), 1)
    return 0, 1


def parse_weights(spec: str) -> list[tuple[str, int]]:
    """``"versions:3,details,credentials:0"`` -> ``[("versions", 3), ("details", 1)]`` (weight 0 drops an entry)."""
    out = []
    for part in spec.split(","):
        name, _, weight = part.strip().partition(":")
        if not name:
            continue
        if name not in ENDPOINTS:
            raise ValueError(f"unknown endpoint {name!r} in --endpoints (choose from {', '.join(ENDPOINTS)})")
        count = int(weight) if weight else 1
        if count > 0:
            out.append((name, count))
    if not out:
        raise ValueError("--endpoints selects nothing")
    return out


def _path(url: str) -> str:
    return path_of(url)


def _fail(response: Any, finding: Finding) -> None:
    response.failure(short(finding))


# --- token validation ---------------------------------------------------------------------------------------------


class _Discovery:
    """The target's endpoint URLs, found once per process from its versions URL with a valid token."""

    def __init__(self) -> None:
        self.lock = BoundedSemaphore()
        self.urls: dict[str, str] | None = None
        self.error: str | None = None


_DISCOVERY = _Discovery()
_POOL: dict[str, list[str]] = {}


def _pool(environment: Environment) -> list[str]:
    """The valid tokens of this process (read once)."""
    path = options(environment).tokens
    if not path:
        give_up(environment, "--tokens FILE is required for this scenario", EXIT_USAGE)
    if path not in _POOL:
        tokens = _read_file(environment, path, "--tokens")
        if not tokens:
            give_up(environment, f"no tokens in {path} (one credentials token per line)", EXIT_USAGE)
        _POOL[path] = tokens
    return _POOL[path]


class TokenValidationUser(FastHttpUser):
    """Authenticated GETs spread over a pool of valid tokens, plus a share of unknown tokens that must get HTTP 401.

    ``--endpoints`` picks what is requested (versions, details, credentials, optionally weighted), ``--unknown-share``
    the fraction of requests made with a fresh random token, and ``--rate`` a fixed total request rate (req/s,
    spread evenly over the users) instead of as fast as possible. A wrong answer is a failure, whatever its speed.
    """

    bare = False
    """Set by the ceiling user: the endpoint validates nothing, so every answer must be a success."""

    def wait_time(self) -> float:
        rate = float(options(self.environment).rate or 0)
        if rate <= 0:
            return 0
        users = max(int(options(self.environment).num_users or 1), 1)
        return constant_throughput(rate / users)(self)

    def on_start(self) -> None:
        opts = options(self.environment)
        self.tokens = _pool(self.environment)
        if opts.rate and opts.rate > 0:
            # Users spawned together would fire together: start each at a random phase of its period, so the
            # offered load is a steady stream, not bursts of one request per user.
            gevent.sleep(random.uniform(0, max(int(opts.num_users or 1), 1) / float(opts.rate)))
            self._cp_last_run = time.perf_counter()  # constant_throughput's clock starts at this phase
        self.unknown_share = float(opts.unknown_share)
        urls = self._bare_urls() if self.bare else self._discover()
        weighted = parse_weights(opts.endpoints)
        self.choices = [
            (urls[name], _path(urls[name]), "list" if name == "versions" else "object") for name, _ in weighted
        ]
        self.weights = [weight for _, weight in weighted]

    def _bare_urls(self) -> dict[str, str]:
        return {name: endpoint_url(self.host or "", path) for name, path in zip(ENDPOINTS, BARE_PATHS, strict=True)}

    def _discover(self) -> dict[str, str]:
        with _DISCOVERY.lock:
            if _DISCOVERY.urls is None and _DISCOVERY.error is None:
                try:
                    _DISCOVERY.urls = self._fetch_urls(random.choice(self.tokens))
                except Finding as finding:
                    _DISCOVERY.error = short(finding)
        if _DISCOVERY.urls is None:
            _discovery_failed(self.environment, _DISCOVERY.error)
        return _DISCOVERY.urls

    def _fetch_urls(self, token: str) -> dict[str, str]:
        versions_url = options(self.environment).versions_url
        envelope = self._get(versions_url, token, "list")
        match = next((v for v in envelope["data"] if isinstance(v, dict) and v.get("version") == OCPI_VERSION), None)
        if match is None:
            raise Finding(f"the target offers no OCPI {OCPI_VERSION}", check="discovery")
        details = self._get(match["url"], token, "object")
        endpoints = {e.get("identifier"): e.get("url") for e in details["data"].get("endpoints", [])}
        if not endpoints.get("credentials"):
            raise Finding("the version details list no credentials endpoint", check="discovery")
        return {"versions": versions_url, "details": match["url"], "credentials": endpoints["credentials"]}

    def _get(self, url: str, token: str, shape: str | None, name: str | None = None) -> dict[str, Any]:
        """GET with a valid token; the envelope, or a Finding (also recorded as the request's failure)."""
        with self.client.get(
            url, headers={"Authorization": data.authorization(token)}, name=name or _path(url), catch_response=True
        ) as response:
            try:
                envelope = expect_success(exchange_of("GET", url, response), data=shape)
            except Finding as finding:
                _fail(response, finding)
                raise
            response.success()
            return envelope

    @task
    def validate(self) -> None:
        url, name, shape = random.choices(self.choices, self.weights)[0] if len(self.choices) > 1 else self.choices[0]
        unknown = self.unknown_share > 0 and random.random() < self.unknown_share
        token = data.unknown_token() if unknown else random.choice(self.tokens)
        if unknown:
            name += UNKNOWN
        with self.client.get(
            url, headers={"Authorization": data.authorization(token)}, name=name, catch_response=True
        ) as response:
            exchange = exchange_of("GET", url, response)
            try:
                if unknown and not self.bare:
                    expect_unauthorized(exchange)
                else:
                    expect_success(exchange, data="list" if self.bare else shape)
            except Finding as finding:
                _fail(response, finding)
            else:
                response.success()


class BareCeilingUser(TokenValidationUser):
    """The same requests and checks against ``loadtests/bare_app.py``, which answers every path with one fixed
    envelope and validates nothing: what this machine, this server and this load generator can do at best."""

    bare = True


# --- first and deep pages ----------------------------------------------------------------------------------------

FIRST_PAGE = " [first page]"
DEEP_PAGE = " [deep page]"


def routing_headers(environment: Environment) -> dict[str, str]:
    """``OCPI-from-*`` (``--from-party CC/PID``) and ``OCPI-to-*`` (``--to-party``) for functional modules."""
    opts = options(environment)
    headers = {}
    for option, side in ((opts.from_party, "from"), (opts.to_party, "to")):
        if option:
            country, _, party = option.partition("/")
            headers[f"OCPI-{side}-country-code"], headers[f"OCPI-{side}-party-id"] = country.upper(), party.upper()
    return headers


def _checked_get(user: FastHttpUser, url: str, headers: dict[str, str], shape: str, name: str) -> dict[str, Any]:
    """GET that must succeed with a ``shape`` (``list``/``object``) ``data``; the envelope, or a Finding (also the
    request's recorded failure)."""
    with user.client.get(url, headers=headers, name=name, catch_response=True) as response:
        try:
            envelope = expect_success(exchange_of("GET", url, response), data=shape)
        except Finding as finding:
            _fail(response, finding)
            raise
        response.success()
        return envelope


def _advertised(user: FastHttpUser, token: str, module: str, role: str) -> str:
    """The URL the target advertises for ``module``/``role`` in its 2.3.0 version details (found with ``token``)."""
    auth = {"Authorization": data.authorization(token)}
    versions_url = options(user.environment).versions_url
    versions = _checked_get(user, versions_url, auth, "list", _path(versions_url))
    match = next((v for v in versions["data"] if isinstance(v, dict) and v.get("version") == OCPI_VERSION), None)
    if match is None:
        raise Finding(f"the target offers no OCPI {OCPI_VERSION}", check="discovery")
    details = _checked_get(user, match["url"], auth, "object", _path(match["url"]))
    for endpoint in details["data"].get("endpoints", []):
        if endpoint.get("identifier") == module and endpoint.get("role") == role and endpoint.get("url"):
            return str(endpoint["url"])
    raise Finding(f"the version details list no {module} {role} endpoint", check="discovery")


class _ModuleUser(FastHttpUser):
    """Base of the users that call one functional module with a credentials token and routing headers."""

    abstract = True
    headers: dict[str, str]

    def _start_module(self, token: str, module: str, role: str) -> str:
        """The routing headers, a random phase under ``--rate``, and the module's advertised URL, discovered once per
        process (a failed discovery stops the users)."""
        opts = options(self.environment)
        self.headers = {"Authorization": data.authorization(token), **routing_headers(self.environment)}
        if opts.rate and opts.rate > 0:
            gevent.sleep(random.uniform(0, max(int(opts.num_users or 1), 1) / float(opts.rate)))
            self._cp_last_run = time.perf_counter()
        with _DISCOVERY.lock:
            if _DISCOVERY.urls is None and _DISCOVERY.error is None:
                try:
                    _DISCOVERY.urls = {module: _advertised(self, token, module, role)}
                except Finding as finding:
                    _DISCOVERY.error = short(finding)
        if _DISCOVERY.urls is None:
            _discovery_failed(self.environment, _DISCOVERY.error)
        return _DISCOVERY.urls[module]


class PagesUser(FastHttpUser):
    """The first page and the last full page of one module's Sender list (``--module``, default locations), half
    each, to see whether a deep page costs more than the first. Each answer must be a success with a non-empty list
    no longer than ``X-Limit``; the deep offset is ``X-Total-Count - X-Limit``, read once from the first page."""

    def on_start(self) -> None:
        opts = options(self.environment)
        self.token = _pool(self.environment)[0]
        self.headers = {"Authorization": data.authorization(self.token), **routing_headers(self.environment)}
        with _DISCOVERY.lock:
            if _DISCOVERY.urls is None and _DISCOVERY.error is None:
                try:
                    _DISCOVERY.urls = self._discover(opts.module)
                except Finding as finding:
                    _DISCOVERY.error = short(finding)
        if _DISCOVERY.urls is None:
            _discovery_failed(self.environment, _DISCOVERY.error)
        self.url = _DISCOVERY.urls["list"]
        self.limit, self.deep = int(_DISCOVERY.urls["limit"]), int(_DISCOVERY.urls["deep"])
        self.first_object = _DISCOVERY.urls["first"]
        self.name = _path(self.url)

    def _discover(self, module: str) -> dict[str, str]:
        url = _advertised(self, self.token, module, "SENDER")
        with self.client.get(url, headers=self.headers, name=_path(url) + " [discovery]", catch_response=True) as r:
            envelope = expect_success(exchange_of("GET", url, r), data="list")
            total, limit = r.headers.get("X-Total-Count"), r.headers.get("X-Limit")
            if not (total or "").isdigit() or not (limit or "").isdigit() or int(limit or 0) < 1:
                raise Finding("a page without integer X-Total-Count and X-Limit", check="pagination")
            r.success()
        total_n, limit_n = int(total or 0), int(limit or 1)
        if total_n < 2 * limit_n:
            raise Finding(f"{total_n} objects make no deep page (seed at least {2 * limit_n})", check="discovery")
        first = json.dumps(envelope["data"][0], sort_keys=True) if envelope["data"] else ""
        return {"list": url, "limit": str(limit_n), "deep": str(total_n - limit_n), "first": first}

    @task
    def page(self) -> None:
        deep = random.random() < 0.5
        offset = self.deep if deep else 0
        url = f"{self.url}?offset={offset}&limit={self.limit}"
        name = self.name + (DEEP_PAGE if deep else FIRST_PAGE)
        with self.client.get(url, headers=self.headers, name=name, catch_response=True) as response:
            try:
                envelope = expect_success(exchange_of("GET", url, response), data="list")
                items = envelope["data"]
                if not items or len(items) > self.limit:
                    raise Finding(
                        "the page is empty or longer than X-Limit",
                        check="pagination",
                        expected=f"1..{self.limit} objects",
                        actual=f"{len(items)}",
                    )
                if deep and json.dumps(items[0], sort_keys=True) == self.first_object:
                    raise Finding("the deep page starts with the first page's first object", check="pagination")
            except Finding as finding:
                _fail(response, finding)
            else:
                response.success()


# --- real-time authorization ----------------------------------------------------------------------------------

_DRIVER_TOKENS: dict[str, list[tuple[str, str, str]]] = {}


def driver_tokens(environment: Environment, path: str) -> list[tuple[str, str, str]]:
    """``(uid, type, expected allowed)`` rows of a ``uid,type,allowed`` CSV (``allowed`` may be empty: not checked)."""
    if path not in _DRIVER_TOKENS:
        rows = []
        try:
            with open(path, encoding="utf-8") as handle:
                for line in handle:
                    uid, _, rest = line.strip().partition(",")
                    token_type, _, allowed = rest.partition(",")
                    if uid and uid != "uid":
                        rows.append((uid, token_type or "RFID", allowed))
        except OSError as exc:
            give_up(environment, f"cannot read --tokens-file {path}: {exc.strerror}", EXIT_USAGE)
        if not rows:
            give_up(environment, f"no tokens in {path} (uid,type,allowed per line)", EXIT_USAGE)
        _DRIVER_TOKENS[path] = rows
    return _DRIVER_TOKENS[path]


class AuthorizeUser(_ModuleUser):
    """Real-time authorization: ``POST {tokens Sender}/{uid}/authorize?type=T`` as a CPO would at a charger.

    Tokens come from ``--tokens-file`` (``uid,type,allowed``); the answer must be a success whose ``allowed`` is the
    one listed. A share (``--unknown-share``) uses a uid nobody issued, which must get HTTP 404 with status_code 2004
    and no data. The CPO's credentials token is the first of ``--tokens``; ``--from-party`` / ``--to-party`` give the
    routing headers (through a hub: ``--from-party`` the CPO, no ``--to-party`` lets the hub find the eMSP).
    ``--rate`` offers a fixed total rate.
    """

    wait_time = TokenValidationUser.wait_time

    def on_start(self) -> None:
        opts = options(self.environment)
        if not opts.tokens_file:
            give_up(self.environment, "--tokens-file FILE (uid,type,allowed) is required for this scenario", EXIT_USAGE)
        self.rows = driver_tokens(self.environment, opts.tokens_file)
        self.unknown_share = float(opts.unknown_share)
        self.base = self._start_module(_pool(self.environment)[0], "tokens", "SENDER")
        """The tokens Sender URL exactly as advertised (conformance.urls appends the spec's suffix)."""
        self.name = endpoint_url(_path(self.base), "/{uid}/authorize")

    @task
    def authorize(self) -> None:
        unknown = self.unknown_share > 0 and random.random() < self.unknown_share
        if unknown:
            uid, token_type, expected = f"UNKNOWN{random.getrandbits(64):016X}", "RFID", ""
        else:
            uid, token_type, expected = random.choice(self.rows)
        url = endpoint_url(self.base, f"/{urllib.parse.quote(uid, safe='')}/authorize") + f"?type={token_type}"
        name = self.name + (UNKNOWN if unknown else "")
        with self.client.post(url, headers=self.headers, name=name, catch_response=True) as response:
            exchange = exchange_of("POST", url, response)
            try:
                if unknown:
                    envelope = exchange.envelope() or {}
                    if response.status_code != 404 or envelope.get("status_code") != 2004 or envelope.get("data"):
                        raise Finding(
                            "an unknown token was not refused as the spec says",
                            check="unknown_token",
                            expected="HTTP 404, status_code 2004, no data",
                            actual=f"HTTP {response.status_code}, status_code {envelope.get('status_code')}",
                        )
                else:
                    info = expect_success(exchange, data="object")["data"]
                    if expected and info.get("allowed") != expected:
                        raise Finding(
                            f"token {uid} was answered {info.get('allowed')}",
                            check="allowed",
                            expected=expected,
                            actual=str(info.get("allowed")),
                        )
            except Finding as finding:
                _fail(response, finding)
            else:
                response.success()


# --- pushes through a hub -----------------------------------------------------------------------------------------


class Pushes:
    """What this process pushed and the target acknowledged: ``[location id, sent, acknowledged]`` (epoch seconds),
    written to ``--push-log`` at the end so the runner can match it with what each receiver recorded."""

    def __init__(self) -> None:
        self.acked: list[tuple[str, float, float]] = []
        self.counter = itertools.count()

    def write(self, environment: Environment) -> None:
        path = options(environment).push_log
        if not path or not self.acked:
            return
        slot, count = _generator_slot(environment)
        target = Path(path if count == 1 else f"{path}.{slot}")
        target.write_text(json.dumps(self.acked), encoding="utf-8")


PUSHES = Pushes()


class PushUser(_ModuleUser):
    """A CPO pushing Locations: ``PUT {locations Receiver}/{country_code}/{party_id}/{location_id}`` with
    ``OCPI-to-*`` = ``--to-party`` (on a hub, the hub itself: it stores the Location and broadcasts it to every eMSP
    it serves). Every push is a new Location (a fresh id), so each one is one delivery per receiver; the answer must
    be a success. ``--from-party`` is the CPO the first token of ``--tokens`` belongs to; ``--rate`` offers a fixed
    total rate."""

    wait_time = TokenValidationUser.wait_time

    def on_start(self) -> None:
        opts = options(self.environment)
        if "/" not in (opts.from_party or ""):
            give_up(self.environment, "--from-party CC/PID (the CPO whose token pushes) is required", EXIT_USAGE)
        self.country, _, self.party = opts.from_party.upper().partition("/")
        self.base = self._start_module(_pool(self.environment)[0], "locations", "RECEIVER")
        self.name = endpoint_url(_path(self.base), "/{country_code}/{party_id}/{location_id}")
        slot, _ = _generator_slot(self.environment)
        self.prefix = f"{opts.push_prefix or 'LT'}{slot}-"

    @task
    def push(self) -> None:
        location_id = f"{self.prefix}{next(PUSHES.counter)}"
        url = endpoint_url(self.base, f"/{self.country}/{self.party}/{location_id}")
        body = data.location(self.country, self.party, location_id)
        sent = time.time()
        with self.client.put(url, headers=self.headers, json=body, name=self.name, catch_response=True) as response:
            try:
                expect_success(exchange_of("PUT", url, response))
            except Finding as finding:
                _fail(response, finding)
            else:
                PUSHES.acked.append((location_id, sent, time.time()))
                response.success()


# --- registration -------------------------------------------------------------------------------------------------


@dataclass
class Ledger:
    """What the registration scenario did in this process, to prove every registration happened exactly once."""

    country: str = ""
    started: datetime | None = None
    invitations: list[tuple[int, str]] = field(default_factory=list)
    next_index: int = 0
    loaded: bool = False
    quitting: bool = False
    in_flight: int = 0
    attempted: int = 0
    registered: dict[str, int] = field(default_factory=dict)
    """party key (``CC-PID``) -> line number of the token A it was registered with."""
    rotated: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    pending: set[str] = field(default_factory=set)
    """Parties whose POST was sent but whose handshake had not finished when the run stopped (interrupted)."""
    issued: Counter[str] = field(default_factory=Counter)
    """SHA-256 of every credentials token the target issued: one seen twice is a duplicate."""
    hubclientinfo_url: str | None = None
    check_token: str | None = None
    verification: dict[str, Any] = field(default_factory=dict)

    def take(self) -> tuple[int, str] | None:
        if self.next_index >= len(self.invitations):
            return None
        item = self.invitations[self.next_index]
        self.next_index += 1
        return item

    @property
    def exhausted(self) -> bool:
        return self.loaded and self.next_index >= len(self.invitations)

    def summary(self) -> dict[str, Any]:
        return {
            "country_code": self.country,
            "invitations": len(self.invitations),
            "attempted": self.attempted,
            "registered": len(self.registered),
            "rotated": self.rotated,
            "failed": len(self.failed),
            "interrupted": len(self.pending),
            "failures": dict(list(self.failed.items())[:20]),
            "duplicate_tokens": sum(n - 1 for n in self.issued.values() if n > 1),
            "verification": self.verification,
        }


LEDGER = Ledger()


def _load_invitations(environment: Environment) -> None:
    if LEDGER.loaded:
        return
    opts = options(environment)
    if not opts.invitations:
        give_up(environment, "--invitations FILE is required for the registration scenario", EXIT_USAGE)
    tokens = _read_file(environment, opts.invitations, "--invitations")
    index, count = _generator_slot(environment)
    LEDGER.invitations = data.share(list(enumerate(tokens)), index, count)
    LEDGER.country = (opts.party_country or data.party_country(tokens)).upper()
    LEDGER.loaded = True
    log.info("registration: %d invitations for this process, parties %s-*", len(LEDGER.invitations), LEDGER.country)


def _issued(token: str) -> None:
    LEDGER.issued[hashlib.sha256(token.encode()).hexdigest()] += 1


class RegistrationUser(FastHttpUser):
    """Completes the real credentials handshake with a fresh token A (never reused), then rotates once.

    For each registration: versions and version details with token A; POST credentials naming the callback peer
    (``--peer-url``), which the target calls with token B before answering; the answer's token C opens the versions
    endpoint; a PUT rotates to a new token, after which the new one works and the old one gets HTTP 401. Each
    handshake also appears as one ``FLOW register+rotate`` row. When this process's tokens run out its users stop
    (a local run then ends), and at the end the target's hubclientinfo, when it offers one, is read back to prove
    that every party was registered exactly once.
    """

    def on_start(self) -> None:
        _load_invitations(self.environment)
        if not options(self.environment).peer_url:
            give_up(self.environment, "--peer-url is required for the registration scenario", EXIT_USAGE)

    @task
    def register_and_rotate(self) -> None:
        item = LEDGER.take()
        if item is None:
            runner = self.environment.runner
            if LEDGER.in_flight == 0 and not LEDGER.quitting and isinstance(runner, LocalRunner):
                LEDGER.quitting = True  # once: a second quit would kill the first one's end-of-run proof
                log.info("registration: every token A used; stopping")
                gevent.spawn_later(0.1, runner.quit)
            raise StopUser()
        index, token_a = item
        key = f"{LEDGER.country}-{data.party_id(index)}"
        LEDGER.in_flight += 1
        LEDGER.attempted += 1
        started = time.perf_counter()
        error: Finding | None = None
        try:
            self._handshake(key, index, token_a)
        except Finding as finding:
            error = finding
            LEDGER.failed[key] = short(finding)
            LEDGER.pending.discard(key)
        finally:
            LEDGER.in_flight -= 1
        self.environment.events.request.fire(
            request_type="FLOW",
            name="register+rotate",
            response_time=(time.perf_counter() - started) * 1000,
            response_length=0,
            exception=None if error is None else RuntimeError(short(error)),
            context={},
        )

    def _call(
        self,
        method: str,
        url: str,
        token: str,
        *,
        body: dict[str, Any] | None = None,
        shape: str | None = "object",
        name_suffix: str = "",
        refused: bool = False,
    ) -> dict[str, Any] | None:
        name = _path(url) + name_suffix
        headers = {"Authorization": data.authorization(token)}
        with self.client.request(method, url, headers=headers, json=body, name=name, catch_response=True) as response:
            exchange = exchange_of(method, url, response)
            try:
                if refused:
                    expect_unauthorized(exchange)
                    envelope = None
                else:
                    envelope = expect_success(exchange, data=shape)
            except Finding as finding:
                _fail(response, finding)
                raise
            response.success()
            return envelope

    def _handshake(self, key: str, index: int, token_a: str) -> None:
        opts = options(self.environment)
        country, party = key.split("-")
        versions = self._call("GET", opts.versions_url, token_a, shape="list")
        assert versions is not None
        match = next((v for v in versions["data"] if isinstance(v, dict) and v.get("version") == OCPI_VERSION), None)
        if match is None:
            raise Finding(f"the target offers no OCPI {OCPI_VERSION}", check="registration")
        details = self._call("GET", match["url"], token_a)
        assert details is not None
        endpoints = details["data"].get("endpoints", [])
        credentials_url = next((e.get("url") for e in endpoints if e.get("identifier") == "credentials"), None)
        if not credentials_url:
            raise Finding("the version details list no credentials endpoint", check="registration")
        if LEDGER.hubclientinfo_url is None:
            LEDGER.hubclientinfo_url = next(
                (
                    e.get("url")
                    for e in endpoints
                    if e.get("identifier") == "hubclientinfo" and e.get("role") == "SENDER"
                ),
                "",
            )

        role = {
            "role": "CPO",
            "country_code": country,
            "party_id": party,
            "business_details": {"name": f"Load test {key}"},
        }
        LEDGER.pending.add(key)
        posted = self._call(
            "POST",
            credentials_url,
            token_a,
            body={"token": data.unknown_token(), "url": opts.peer_url, "roles": [role]},
        )
        LEDGER.pending.discard(key)
        token_c = _issued_token(posted, "POST")
        LEDGER.registered[key] = index
        _issued(token_c)

        rotated = self._call(
            "PUT",
            credentials_url,
            token_c,
            body={"token": data.unknown_token(), "url": opts.peer_url, "roles": [role]},
        )
        token_d = _issued_token(rotated, "PUT")
        if token_d == token_c:
            raise Finding("a credentials PUT returned the same token", check="registration", expected="a new token")
        _issued(token_d)
        self._call("GET", opts.versions_url, token_d, shape="list")
        self._call("GET", opts.versions_url, token_c, name_suffix=ROTATED_OUT, refused=True)
        LEDGER.rotated += 1
        LEDGER.check_token = token_d


def _issued_token(envelope: dict[str, Any] | None, method: str) -> str:
    token = (envelope or {}).get("data", {}).get("token")
    if not isinstance(token, str) or not token:
        raise Finding(f"the credentials {method} answer carries no token", check="registration")
    return token


# --- the end-of-run proof ------------------------------------------------------------------------------------------


def _ocpi_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _list_parties(url: str, token: str, date_from: datetime) -> Counter[str]:
    """Every ``CC-PID`` the target's hubclientinfo lists with last_updated >= date_from, following Link rel=next."""
    seen: Counter[str] = Counter()
    next_url: str | None = f"{url}?{urllib.parse.urlencode({'date_from': _ocpi_time(date_from), 'limit': 100})}"
    pages = 0
    while next_url and pages < 10_000:
        pages += 1
        request = urllib.request.Request(next_url, headers={"Authorization": data.authorization(token)})  # noqa: S310
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - the target named by the user
            body = json.loads(response.read())
            link = response.headers.get("Link") or ""
        for item in body.get("data") or []:
            seen[f"{item.get('country_code')}-{item.get('party_id')}"] += 1
        next_url = None
        for part in link.split(","):
            if 'rel="next"' in part:
                next_url = part.split(";")[0].strip().strip("<>")
    return seen


def verify_registrations(environment: Environment) -> None:
    """After the run: every party registered exactly once, none lost, none the target invented.

    Recorded as a ``CHECK registrations exactly once`` row, so a violation fails the run like any failed request
    (also on the master of a distributed run, which receives it in the worker's final report).
    """
    if not LEDGER.loaded or LEDGER.attempted == 0:
        return
    started = time.perf_counter()
    problems = []
    if LEDGER.failed:
        problems.append(f"{len(LEDGER.failed)} of {LEDGER.attempted} registrations failed")
    duplicates = sum(n - 1 for n in LEDGER.issued.values() if n > 1)
    if duplicates:
        problems.append(f"{duplicates} credentials tokens issued twice")
    verification: dict[str, Any] = {"source": "client"}
    if LEDGER.hubclientinfo_url and LEDGER.check_token and LEDGER.started is not None:
        try:
            listed = _list_parties(LEDGER.hubclientinfo_url, LEDGER.check_token, LEDGER.started - timedelta(seconds=2))
        except (OSError, ValueError, urllib.error.URLError) as exc:
            problems.append(f"could not read hubclientinfo back: {exc}")
        else:
            ours = Counter({k: n for k, n in listed.items() if k.startswith(LEDGER.country + "-")})
            expected = set(LEDGER.registered)
            mine = {k for k in ours if k in expected or _mine(environment, k)}
            lost = sorted(expected - set(ours))
            doubled = sorted(k for k in mine if ours[k] > 1)
            interrupted = sorted(LEDGER.pending & set(ours))
            unexpected = sorted(mine - expected - LEDGER.pending)
            verification = {
                "source": "hubclientinfo",
                "listed": sum(ours[k] for k in mine),
                "lost": lost[:20],
                "duplicated": doubled[:20],
                "unexpected": unexpected[:20],
                "interrupted_but_listed": len(interrupted),
            }
            if lost:
                problems.append(f"{len(lost)} registered parties missing from hubclientinfo")
            if doubled:
                problems.append(f"{len(doubled)} parties listed more than once")
            if unexpected:
                problems.append(f"{len(unexpected)} parties listed that no registration created")
    LEDGER.verification = verification
    exception = RuntimeError("; ".join(problems)) if problems else None
    environment.events.request.fire(
        request_type="CHECK",
        name="registrations exactly once",
        response_time=(time.perf_counter() - started) * 1000,
        response_length=0,
        exception=exception,
        context={},
    )
    level = logging.ERROR if problems else logging.INFO
    log.log(level, "registrations: %s", json.dumps(LEDGER.summary()))


def _mine(environment: Environment, key: str) -> bool:
    """Whether party ``key`` belongs to this process's share of the token file (only then is it ours to judge)."""
    slot, count = _generator_slot(environment)
    if count == 1:
        return True
    try:
        index = int(key.split("-", 1)[1], 36)  # party ids are the line number in base 36 (data.party_id)
    except (IndexError, ValueError):
        return False
    return index % count == slot


def on_test_start(environment: Environment) -> None:
    LEDGER.started = datetime.now(UTC)
