"""The harness's vocabulary: requirement levels, outcomes, recorded exchanges, findings and results.

Everything here is plain data so that the pytest plugin, the fuzz driver and the report writers
share one model and a results file can be read back without running anything.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import msgspec

from conformance.specref import describe

__all__ = (
    "ANY_PARTNER",
    "NOT_JUDGED_PREFIX",
    "Blocked",
    "Exchange",
    "Finding",
    "Level",
    "NotJudged",
    "Outcome",
    "PlanGroup",
    "RootCause",
    "RunResult",
    "ScenarioResult",
    "StepResult",
    "Tally",
    "outcome_for_failure",
)


def _plain(result: Any) -> dict[str, Any]:
    """A result dataclass as plain dicts, lists, strings and numbers (enums by their values), ready for JSON.
    ``dataclasses.asdict`` deep-copies every value on the way (each exchange's dict, each header)."""
    plain: dict[str, Any] = msgspec.to_builtins(result)
    return plain


class Level(StrEnum):
    """How strongly the specification words a requirement (RFC 2119 keywords as OCPI uses them)."""

    SHALL = "shall"
    """MUST / SHALL / SHALL NOT: a failure fails the certification."""
    SHOULD = "should"
    """SHOULD / SHOULD NOT: a failure is a warning, and a failure under ``--strict``."""
    MAY = "may"
    """MAY / optional behaviour: never fails a run; reported for information."""


class Outcome(StrEnum):
    """What happened to one scenario. Richer than pass/fail so a verdict can say "works, not strictly"."""

    PASS = "pass"  # noqa: S105 - an outcome, not a password
    FAIL = "fail"
    WARN = "warn"
    SKIP = "skip"


def outcome_for_failure(level: Level, *, strict: bool) -> Outcome:
    """Map a failed scenario to its outcome: only SHALL (and SHOULD under ``--strict``) fail a run."""
    if level is Level.SHALL or (level is Level.SHOULD and strict):
        return Outcome.FAIL
    return Outcome.WARN


_TOKEN_FIELD = re.compile(r'("token"\s*:\s*")([^"]*)(")')


def _redact_authorization(value: str) -> str:
    """Keep the scheme and the encoding style of an Authorization value, hide the secret."""
    scheme, _, credential = value.partition(" ")
    if not credential:
        return "<redacted>"
    style = "raw"
    try:
        decoded = base64.b64decode(credential, validate=True).decode("ascii")
        if decoded and decoded.isprintable():
            style = f"base64 of a {len(decoded)}-character token"
    except (ValueError, UnicodeDecodeError):
        pass
    return f"{scheme} {credential[:4]}…<redacted, {style}>"


def _redact_body(text: str) -> str:
    return _TOKEN_FIELD.sub(lambda m: f"{m.group(1)}{m.group(2)[:4]}…<redacted>{m.group(3)}", text)


@dataclass
class Exchange:
    """One HTTP request and its response, exactly as they went over the wire.

    ``direction`` is ``outbound`` for requests the harness sent to the target and ``inbound`` for
    requests the target sent to the harness's own peer (callbacks).
    """

    direction: str
    method: str
    url: str
    request_headers: list[tuple[str, str]] = field(default_factory=list)
    request_body: str | None = None
    status: int | None = None
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    response_body: str | None = None
    error: str | None = None
    """Transport-level failure (connection refused, timeout, ...) when there is no response."""
    started: float = 0.0
    """``time.monotonic()`` when the request started; orders exchanges across threads."""
    finished: float = 0.0
    wall_time: str = ""
    """UTC wall-clock time the request started, for humans."""
    label: str = ""
    """What the harness meant by this request, e.g. ``credentials POST with token A``."""
    auth_style: str | None = None
    """For inbound requests: ``base64``, ``raw``, ``missing`` or ``invalid``."""
    auth_token_name: str | None = None
    """For inbound requests: which of the harness's tokens was presented (e.g. ``B``), never its value."""

    # -- convenience -------------------------------------------------------------------------
    def request_header(self, name: str) -> str | None:
        """Value of a request header (case-insensitive name), or None."""
        lname = name.lower()
        return next((v for k, v in self.request_headers if k.lower() == lname), None)

    def header(self, name: str) -> str | None:
        """Value of a response header (case-insensitive name), or None."""
        lname = name.lower()
        return next((v for k, v in self.response_headers if k.lower() == lname), None)

    def headers_named(self, name: str) -> list[str]:
        """All values of a response header (it may repeat)."""
        lname = name.lower()
        return [v for k, v in self.response_headers if k.lower() == lname]

    def json(self) -> Any:
        """The response body decoded as JSON; raises ValueError when it is not JSON."""
        if self.response_body is None:
            raise ValueError("no response body")
        return json.loads(self.response_body)

    def envelope(self) -> dict[str, Any] | None:
        """The response body when it is a JSON object, else None (no exception)."""
        try:
            body = self.json()
        except ValueError:
            return None
        return body if isinstance(body, dict) else None

    @property
    def ocpi_status(self) -> int | None:
        """The envelope's ``status_code`` when it is an integer, else None."""
        env = self.envelope()
        code = env.get("status_code") if env else None
        return code if isinstance(code, int) and not isinstance(code, bool) else None

    @property
    def data(self) -> Any:
        """The envelope's ``data`` (None when absent or when the body is not an envelope)."""
        env = self.envelope()
        return env.get("data") if env else None

    # -- rendering ---------------------------------------------------------------------------
    def render(self, *, redact: bool = True, max_body: int = 6000) -> str:
        """The request and response as text a person can read and replay by hand."""

        def body(text: str | None) -> str:
            if text is None or text == "":
                return ""
            shown = text
            with contextlib.suppress(ValueError):  # not JSON: shown as it came
                # indented, escapes and numbers as the target wrote them (nothing decoded and encoded again)
                shown = msgspec.json.format(text, indent=2)
            if redact:
                shown = _redact_body(shown)
            if len(shown) > max_body:
                shown = shown[:max_body] + f"\n… ({len(shown) - max_body} more characters)"
            return "\n" + shown

        def headers(items: list[tuple[str, str]]) -> str:
            lines = []
            for k, v in items:
                if redact and k.lower() == "authorization":
                    v = _redact_authorization(v)
                lines.append(f"{k}: {v}")
            return "\n".join(lines)

        arrow = "harness → target" if self.direction == "outbound" else "target → harness peer"
        head = f"[{arrow}] {self.label}".rstrip()
        out = [head, f"{self.method} {self.url}", headers(self.request_headers) + body(self.request_body)]
        if self.error:
            out.append(f"-- no response: {self.error}")
        else:
            out.append(f"-- HTTP {self.status} ({(self.finished - self.started) * 1000:.0f} ms)")
            out.append(headers(self.response_headers) + body(self.response_body))
        return "\n".join(part for part in out if part)

    def to_dict(self, *, redact: bool = True) -> dict[str, Any]:
        """JSON-ready form (tokens redacted unless asked otherwise)."""
        d = _plain(self)
        if redact:
            d["request_headers"] = [
                (k, _redact_authorization(v) if k.lower() == "authorization" else v) for k, v in self.request_headers
            ]
            d["request_body"] = _redact_body(self.request_body) if self.request_body else self.request_body
            d["response_body"] = _redact_body(self.response_body) if self.response_body else self.response_body
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Exchange:
        d = dict(d)
        d["request_headers"] = [tuple(h) for h in d.get("request_headers", [])]
        d["response_headers"] = [tuple(h) for h in d.get("response_headers", [])]
        return cls(**d)


class Finding(AssertionError):
    """A violated requirement, with the evidence a partner needs to reproduce it.

    Raised by checks; pytest treats it as an assertion failure, the plugin renders it with its
    exchanges and spec reference instead of a Python traceback.
    """

    def __init__(
        self,
        message: str,
        *,
        check: str = "",
        spec: str = "",
        exchanges: list[Exchange] | None = None,
        expected: str | None = None,
        actual: str | None = None,
        endpoint: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.endpoint = endpoint
        """Which endpoint the finding is about (``credentials``, ``tokens (SENDER)``), when it is about one."""
        self.check = check
        self.spec = spec
        self.exchanges = list(exchanges or [])
        self.expected = expected
        self.actual = actual

    def render(self, *, redact: bool = True) -> str:
        """Message, expectation, spec reference and exchanges as plain text."""
        lines = [self.message]
        if self.expected is not None:
            lines.append(f"  expected: {self.expected}")
        if self.actual is not None:
            lines.append(f"  actual:   {self.actual}")
        if self.check:
            lines.append(f"  check:    {self.check}")
        if self.spec:
            lines.append(f"  spec:     {describe(self.spec)}")
        for ex in self.exchanges:
            lines.append("")
            lines.append(ex.render(redact=redact))
        return "\n".join(lines)

    def to_dict(self, *, redact: bool = True) -> dict[str, Any]:
        return {
            "message": self.message,
            "check": self.check,
            "spec": self.spec,
            "expected": self.expected,
            "actual": self.actual,
            "endpoint": self.endpoint,
            "exchanges": [e.to_dict(redact=redact) for e in self.exchanges],
        }


class NotJudged(Finding):
    """No answer the harness can judge, for a cause on the harness's or the network's side, never the target's: the
    target could not be reached (connection, DNS, TLS, timeout), or it refused the token target.toml gave (spent, wrong
    or revoked). The plugin turns it into a skip with that reason, and a run where nothing else was judged exits 3.

    It is a :class:`Finding` for the callers of the shared checks that judge a whole system rather than a target's
    conformance (the load tests: a request without an answer is a failed request); the conformance run catches it
    before it could count as one."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, expected="an HTTP answer", actual=reason)
        self.reason = reason


class Blocked(Exception):
    """A scenario cannot judge its rule because of a cause another scenario owns (a redirect, a failed registration).

    The plugin turns it into a skip whose reason names that scenario ("skipped: ... — see credentials.registration"),
    so one defect is judged once, where it lives, and never counted again as a knock-on failure.
    """

    def __init__(self, reason: str, owner: str) -> None:
        super().__init__(f"{reason} — see {owner}")
        self.reason = reason
        self.owner = owner
        """Id of the scenario that judges the cause."""


NOT_JUDGED_PREFIX = "not judged: "
"""How the skip reason of a :class:`NotJudged` scenario starts."""


SEE = re.compile(r"— see ([a-z0-9][a-z0-9.\-]*[a-z0-9])")
"""How a skip reason names the scenario that owns its cause."""


@dataclass
class StepResult:
    """One Gherkin step as it ran."""

    keyword: str
    text: str
    status: str = "skipped"
    """``passed``, ``failed`` or ``skipped`` (not reached)."""
    duration: float = 0.0
    error: str | None = None


@dataclass
class ScenarioResult:
    """The verdict on one scenario, with everything needed to explain it."""

    id: str
    title: str
    area: str
    """Folder of the feature file (transport, versions, credentials, pagination, ...)."""
    feature: str
    """Feature title."""
    feature_file: str
    level: Level
    spec: list[str] = field(default_factory=list)
    """Spec anchors (tags ``@spec.*``)."""
    checklist: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    interfaces: list[str] = field(default_factory=list)
    """What the scenario plays towards, e.g. ``as CPO: locations RECEIVER`` (the harness identity's role, then the
    target's module interface); empty for rules every partner meets (transport, versions, credentials, pagination)."""
    outcome: Outcome = Outcome.PASS
    message: str = ""
    """Short reason: the first finding's message, the skip reason, or an error."""
    details: str = ""
    """Full failure text (findings with exchanges) as shown in the terminal."""
    findings: list[dict[str, Any]] = field(default_factory=list)
    exchanges: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """Observations that are neither pass nor fail, e.g. which token encodings the target accepts."""
    steps: list[StepResult] = field(default_factory=list)
    duration: float = 0.0
    description: str = ""
    line: int = 0

    def to_dict(self) -> dict[str, Any]:
        return _plain(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ScenarioResult:
        d = dict(d)
        d["level"] = Level(d["level"])
        d["outcome"] = Outcome(d["outcome"])
        d["steps"] = [StepResult(**s) for s in d.get("steps", [])]
        return cls(**d)


ANY_PARTNER = "any partner"
"""The role line of scenarios that play no module role: transport, versions, credentials, pagination."""


def _played_roles(s: ScenarioResult) -> str:
    """``as CPO``, ``as EMSP``, ``as CPO and EMSP`` (hub routing) or :data:`ANY_PARTNER`."""
    roles = sorted({i.split(":", 1)[0].removeprefix("as ") for i in s.interfaces})
    return "as " + " and ".join(roles) if roles else ANY_PARTNER


@dataclass(frozen=True)
class Tally:
    """One line of a summary: what it groups, the outcomes counted and their verdict."""

    label: str
    counts: dict[str, int]
    verdict: Outcome
    scenarios: list[str]


@dataclass(frozen=True)
class PlanGroup:
    """Scenarios of one run that share an outcome class: ``ran``, or ``skipped`` for one reason."""

    ran: bool
    reason: str
    """Empty for the scenarios that ran; the common skip reason otherwise."""
    scenarios: list[str]


_LISTING = re.compile(r"\s*\((?:it lists|add an|via) [^)]*\)")


def _skip_family(message: str) -> str:
    """The part of a skip reason that scenarios skipped for the same cause share."""
    first = (message.splitlines() or [""])[0]
    if m := SEE.search(first):
        return f"knock-on of {m.group(1)}"
    return _LISTING.sub("", first).strip() or "no reason given"


def _verdict_of(c: dict[str, int]) -> Outcome:
    if c["fail"]:
        return Outcome.FAIL
    if c["warn"]:
        return Outcome.WARN
    return Outcome.SKIP if c["pass"] == 0 else Outcome.PASS


@dataclass
class RootCause:
    """One failed (or warned) scenario and what it explains: the scenarios skipped because of it, its endpoints."""

    scenario: str
    outcome: Outcome
    message: str
    explains: list[str]
    endpoints: list[str]


def _endpoints_of(s: ScenarioResult) -> list[str]:
    """The endpoints a failed scenario's findings are about, in first-seen order."""
    seen: dict[str, None] = {}
    for f in s.findings:
        if f.get("endpoint"):
            seen.setdefault(str(f["endpoint"]), None)
    return list(seen)


@dataclass
class RunResult:
    """One conformance run against one target."""

    target_name: str
    versions_url: str
    started: str
    finished: str = ""
    version: str = "2.3.0"
    """The OCPI version this run certified (a run of several versions has one RunResult per version)."""
    strict: bool = False
    harness_version: str = ""
    party: str = ""
    """The harness's own identity during the run, e.g. ``NL/CTH (EMSP)``."""
    peer_url: str = ""
    target_roles: list[str] = field(default_factory=list)
    observations: list[str] = field(default_factory=list)
    scenarios: list[ScenarioResult] = field(default_factory=list)

    def counts(self, area: str | None = None) -> dict[str, int]:
        """Number of scenarios per outcome, optionally for one area."""
        c = {o.value: 0 for o in Outcome}
        for s in self.scenarios:
            if area is None or s.area == area:
                c[s.outcome.value] += 1
        return c

    def areas(self) -> list[str]:
        """Areas in first-seen order."""
        seen: dict[str, None] = {}
        for s in self.scenarios:
            seen.setdefault(s.area, None)
        return list(seen)

    def nothing_judged(self) -> str | None:
        """Why no scenario could be judged (None when at least one passed, failed or warned)."""
        c = self.counts()
        if c["pass"] or c["fail"] or c["warn"]:
            return None
        if not self.scenarios:
            return "no scenario was selected"
        unjudged = [s.message for s in self.scenarios if s.message.startswith(NOT_JUDGED_PREFIX)]
        if unjudged:
            return f"every scenario was skipped; {unjudged[0].removeprefix(NOT_JUDGED_PREFIX)}"
        owners = [m.group(1) for s in self.scenarios if (m := SEE.search(s.message))]
        if owners:
            top = max(set(owners), key=owners.count)
            return f"every scenario was skipped; {owners.count(top)} of them because of {top}"
        return f"every scenario was skipped (first reason: {self.scenarios[0].message})"

    def root_causes(self) -> list[RootCause]:
        """The few causes that explain the rest: each failed (or warned) scenario with the skips that name it.

        Ordered by how many scenarios a cause explains, then by its own verdict; a failure no other scenario
        depends on is still a root cause of its own.
        """
        by_id = {s.id: s for s in self.scenarios}
        explained: dict[str, list[str]] = {}
        for s in self.scenarios:
            if s.outcome is Outcome.SKIP and (m := SEE.search(s.message)):
                explained.setdefault(m.group(1), []).append(s.id)
        causes: list[RootCause] = []
        for s in self.scenarios:
            if s.outcome in (Outcome.FAIL, Outcome.WARN):
                causes.append(RootCause(s.id, s.outcome, s.message, explained.get(s.id, []), _endpoints_of(s)))
        for owner, ids in explained.items():
            if owner not in by_id:
                causes.append(RootCause(owner, Outcome.SKIP, "not run in this selection", ids, []))
        causes.sort(key=lambda c: (c.outcome is not Outcome.FAIL, -len(c.explains), c.scenario))
        return causes

    def verdict(self, area: str | None = None) -> Outcome:
        """FAIL if any scenario failed, WARN if any warned, SKIP if nothing ran, else PASS."""
        return _verdict_of(self.counts(area))

    def _tally(self, key: Any) -> list[Tally]:
        groups: dict[str, list[ScenarioResult]] = {}
        for s in self.scenarios:
            for label in key(s):
                groups.setdefault(label, []).append(s)
        out = []
        for label, members in groups.items():
            c = {o.value: 0 for o in Outcome}
            for s in members:
                c[s.outcome.value] += 1
            out.append(Tally(label, c, _verdict_of(c), [s.id for s in members]))
        return out

    def by_role(self) -> list[Tally]:
        """Verdict per role the harness played towards the target (as CPO, as EMSP, both for a hub, any partner):
        "as CPO" certifies what the target does for CPOs, i.e. its eMSP or hub side."""
        tallies = self._tally(lambda s: [_played_roles(s)])
        return sorted(tallies, key=lambda t: (t.label == ANY_PARTNER, t.label))

    def by_interface(self) -> list[Tally]:
        """Verdict per module interface of the target the scenarios played towards (``locations RECEIVER``, ...);
        a scenario that plays towards two interfaces counts for each."""
        tallies = self._tally(lambda s: sorted({i.split(": ", 1)[-1] for i in s.interfaces}))
        return sorted(tallies, key=lambda t: t.label)

    def plan(self) -> list[PlanGroup]:
        """What ran and what was skipped, skips grouped by their shared reason (largest group first)."""
        ran = [s.id for s in self.scenarios if s.outcome is not Outcome.SKIP]
        families: dict[str, list[str]] = {}
        for s in self.scenarios:
            if s.outcome is Outcome.SKIP:
                families.setdefault(_skip_family(s.message), []).append(s.id)
        groups = [PlanGroup(True, "", ran)] if ran else []
        groups += [PlanGroup(False, r, ids) for r, ids in sorted(families.items(), key=lambda kv: -len(kv[1]))]
        return groups

    @property
    def exit_code(self) -> int:
        """0 only when no scenario failed (SHALL, or SHOULD under --strict) and something was judged.

        1: a scenario failed. 3: nothing could be judged (every scenario skipped), which a CI job must not read as
        a pass.
        """
        if self.counts()["fail"]:
            return 1
        return 3 if self.nothing_judged() else 0

    def to_dict(self) -> dict[str, Any]:
        d = _plain(self)
        d["verdict"] = self.verdict().value
        d["counts"] = self.counts()
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunResult:
        d = {k: v for k, v in d.items() if k not in ("verdict", "counts")}
        d["scenarios"] = [ScenarioResult.from_dict(s) for s in d.get("scenarios", [])]
        return cls(**d)
