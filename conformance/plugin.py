"""pytest plugin: turns Gherkin scenarios into a conformance run against one target.

What it adds to pytest:

* options ``--ocpi-target FILE`` (activates the plugin), ``--ocpi-version`` (the one version this session
  certifies: a run certifies each version in a pytest session of its own), ``--ocpi-strict``, ``--ocpi-report-dir``,
  ``--ocpi-ids`` and ``--ocpi-tags`` (selection);
* ``@version.<v>`` tags: a scenario carrying some applies to those versions only (a rule that differs between
  versions is one scenario per version); without one it applies to every version, judged in each pass;
* scenario tags (``@id.*``, ``@spec.*``, ``@shall``/``@should``/``@may``, ``@role.*``, ``@phase.*``,
  ``@checklist.*``) read as metadata instead of markers, with a usage error for untagged scenarios;
* ordering: scenarios that need an unused token A first, then the registration, the rest, the scenarios that judge
  what the whole run saw (``@phase.end``), unregistration last;
* outcomes: a failed SHOULD/MAY scenario becomes *warn* (reported as passed to pytest) unless
  ``--ocpi-strict``; failures are shown as findings with their exchanges, not tracebacks;
* the fixtures ``harness`` (one :class:`~conformance.session.HarnessSession` per run) and
  ``ocpi_context`` (per scenario);
* at the end: results.json, junit.xml, cucumber.json, report.html and a terminal summary by area.
  The exit status is 0 only when no scenario failed.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Generator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from conformance import FEATURES_DIR, __version__, versions
from conformance.checks._registry import judged_count, judged_since
from conformance.client import Recorder
from conformance.model import (
    NOT_JUDGED_PREFIX,
    SEE,
    Blocked,
    Finding,
    Level,
    NotJudged,
    Outcome,
    RunResult,
    ScenarioResult,
    StepResult,
    outcome_for_failure,
)
from conformance.plan import NEEDS, check_needs, interfaces_of
from conformance.session import HarnessSession
from conformance.steps import STEP_MODULES
from conformance.steps.context import ScenarioContext
from conformance.target import ConfigError, TargetConfig, load_target

__all__ = ("PassLink", "RunState", "ScenarioMeta")

_PHASES = {"before_registration": 0, "registration": 1, "default": 2, "end": 3, "unregistration": 4}
"""Scenario order. ``end``: scenarios that judge a rule over every answer the run saw (the envelope of error answers,
the shape of data, the form of objects every Receiver took), after the scenarios that made those requests."""
_LEVEL_TAGS = {"shall": Level.SHALL, "should": Level.SHOULD, "may": Level.MAY}
_PREFIXES = ("id.", "spec.", "role.", "phase.", "checklist.", "version.")


@dataclass
class ScenarioMeta:
    """What the tags and the feature file say about one scenario."""

    id: str
    level: Level
    spec: list[str]
    checklist: list[str]
    roles: list[str]
    phase: str
    area: str
    feature: str
    feature_file: str
    title: str
    description: str
    line: int
    versions: list[str] = field(default_factory=list)
    """The versions the scenario applies to (empty: every version)."""


@dataclass
class PassLink:
    """What one version's pass takes from the run and gives back: the registrations carried between passes.

    A run hands this to pytest as the ``ocpi_pass`` attribute of a plugin object; the plugin reads it when the session
    is configured and fills ``handed_over`` when the session ends.
    """

    carried: dict[str, str] = field(default_factory=dict)
    """Identity key -> token C from the previous pass; each such identity moves to this version by a credentials PUT."""
    hand_over: str | None = None
    """The next pass's version: this pass leaves its identities registered for it."""
    handed_over: dict[str, str] = field(default_factory=dict)
    """Identity key -> token C this pass left registered (filled at the end)."""
    run: RunResult | None = None
    """This pass's result (filled at the end)."""


@dataclass
class _Tracking:
    mark: int = 0
    judged: int = 0
    started: float = 0.0
    steps: list[StepResult] = field(default_factory=list)
    step_started: float = 0.0
    context: ScenarioContext | None = None
    result: ScenarioResult | None = None


class RunState:
    """The plugin's state for one pytest session."""

    def __init__(self, config: TargetConfig, *, strict: bool, report_dir: Path) -> None:
        self.target = config
        self.strict = strict
        self.report_dir = report_dir
        self.recorder = Recorder()
        self.session: HarnessSession | None = None
        self.results: list[ScenarioResult] = []
        self.started = datetime.now(UTC)
        self.run: RunResult | None = None
        self.written: list[Path] = []
        self.selected: set[str] = set()
        """Ids of the scenarios this run runs."""

    def harness(self) -> HarnessSession:
        if self.session is None:
            self.session = HarnessSession(self.target, self.recorder)
            self.session.selected = frozenset(self.selected)
            self.session.start()
        return self.session


RUN_STATE = pytest.StashKey[RunState]()
META = pytest.StashKey[ScenarioMeta]()
TRACK = pytest.StashKey[_Tracking]()


def _state(config: pytest.Config) -> RunState | None:
    return config.stash.get(RUN_STATE, None)


# -- options and configuration ------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ocpi-conformance", "OCPI conformance run")
    group.addoption("--ocpi-target", metavar="FILE", help="target.toml describing the platform under test")
    group.addoption(
        "--ocpi-version",
        default=versions.V230,
        choices=versions.KNOWN,
        help="the OCPI version this session certifies (default: %(default)s)",
    )
    group.addoption("--ocpi-strict", action="store_true", default=None, help="SHOULD-level failures fail the run")
    group.addoption("--ocpi-report-dir", metavar="DIR", help="where to write reports (default: from target.toml)")
    group.addoption(
        "--ocpi-ids",
        default="",
        metavar="IDS",
        help="comma-separated scenario ids (or id prefixes ending in '.') to run",
    )
    group.addoption(
        "--ocpi-no-broadcast",
        action="store_true",
        default=False,
        help="address the harness's writes to a hub to its own other identity, never to the hub itself",
    )
    group.addoption(
        "--ocpi-read-only",
        action="store_true",
        default=False,
        help="write no module objects and do not rotate or delete credentials (production targets)",
    )
    group.addoption(
        "--ocpi-tags",
        default="",
        metavar="TAGS",
        help="comma-separated tags a scenario must all carry, e.g. shall,role.hub",
    )


def pytest_configure(config: pytest.Config) -> None:
    for name in STEP_MODULES:
        if not config.pluginmanager.has_plugin(name):
            config.pluginmanager.import_plugin(name)
    target_file = config.getoption("--ocpi-target")
    if not target_file:
        return
    try:
        target = load_target(target_file)
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from exc
    if config.getoption("--ocpi-read-only"):
        target = replace(target, read_only=True)
    if config.getoption("--ocpi-no-broadcast"):
        target = replace(target, broadcast=False)
    version = config.getoption("--ocpi-version")
    versions.use(version)
    link = _pass_link(config)
    target = replace(target, version=version, hand_over=link.hand_over if link else None)
    if link is not None and link.carried:
        target = _carry(target, link.carried)
    strict = bool(config.getoption("--ocpi-strict")) or target.strict
    report_dir = Path(config.getoption("--ocpi-report-dir") or target.report_dir).resolve()
    config.stash[RUN_STATE] = RunState(target, strict=strict, report_dir=report_dir)


def _pass_link(config: pytest.Config) -> PassLink | None:
    for plugin in config.pluginmanager.get_plugins():
        link = getattr(plugin, "ocpi_pass", None)
        if isinstance(link, PassLink):
            return link
    return None


def _carry(target: TargetConfig, carried: dict[str, str]) -> TargetConfig:
    """``target`` with the tokens C the previous pass left registered in place of the token A of those identities."""
    identities = tuple(
        replace(i, token=carried[i.key], token_a=None, carried=True) if i.key in carried else i
        for i in target.identities
    )
    primary = identities[0] if identities else None
    if primary is None or not primary.carried:
        return replace(target, identities=identities)
    return replace(target, identities=identities, token=primary.token, token_a=None, carried=True)


@pytest.hookimpl(tryfirst=True)
def pytest_bdd_apply_tag(tag: str, function: Any) -> bool | None:
    """Keep our tags as metadata on the scenario function instead of pytest markers."""
    if tag in _LEVEL_TAGS or tag.startswith(_PREFIXES):
        function.__dict__.setdefault("_ocpi_tags", set()).add(tag)
        return True
    return None


def _meta(item: pytest.Item) -> ScenarioMeta | None:
    from pytest_bdd.scenario import scenario_wrapper_template_registry

    func = getattr(item, "obj", None)
    if func is None:
        return None
    template = scenario_wrapper_template_registry.get(func)
    if template is None:
        return None
    tags: set[str] = getattr(func, "_ocpi_tags", set())
    ids = sorted(t[3:] for t in tags if t.startswith("id."))
    levels = [lvl for t, lvl in _LEVEL_TAGS.items() if t in tags]
    where = f"{template.feature.filename}:{template.line_number}"
    if len(ids) != 1:
        raise pytest.UsageError(f"{where}: scenario needs exactly one @id.<area>.<slug> tag, has {ids}")
    if len(levels) != 1:
        raise pytest.UsageError(f"{where}: scenario needs exactly one of @shall, @should, @may")
    phases = [t[6:] for t in tags if t.startswith("phase.")]
    phase = phases[0] if phases else "default"
    if phase not in _PHASES:
        raise pytest.UsageError(f"{where}: unknown phase tag @phase.{phase}")
    path = Path(template.feature.filename)
    try:
        area = path.resolve().relative_to(FEATURES_DIR.resolve()).parts[0]
    except ValueError:
        area = path.parent.name
    return ScenarioMeta(
        id=ids[0],
        level=levels[0],
        spec=sorted(t[5:] for t in tags if t.startswith("spec.")),
        checklist=sorted(t[10:] for t in tags if t.startswith("checklist.")),
        roles=sorted(t[5:] for t in tags if t.startswith("role.")) or ["any"],
        phase=phase,
        area=area,
        feature=template.feature.name,
        feature_file=str(path.resolve().relative_to(FEATURES_DIR.resolve().parent))
        if path.resolve().is_relative_to(FEATURES_DIR.resolve().parent)
        else str(path),
        title=template.name,
        description=(template.description or template.feature.description or "").strip(),
        line=template.line_number,
        versions=sorted(t[8:] for t in tags if t.startswith("version.")),
    )


def _selected(meta: ScenarioMeta, ids: list[str], tags: list[str], exclude: tuple[str, ...]) -> bool:
    if meta.id in exclude:
        return False
    if ids and not any(
        meta.id == i or (i.endswith(".") and meta.id.startswith(i)) or meta.id.startswith(i + ".") for i in ids
    ):
        return False
    if tags:
        have = {f"id.{meta.id}", meta.level.value, f"phase.{meta.phase}", f"area.{meta.area}", meta.area}
        have |= {f"spec.{s}" for s in meta.spec} | {f"role.{r}" for r in meta.roles}
        have |= {f"checklist.{c}" for c in meta.checklist}
        if not all(t.lstrip("@") in have for t in tags):
            return False
    return True


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    state = _state(config)
    if state is None:
        return
    ids = [i.strip() for i in config.getoption("--ocpi-ids").split(",") if i.strip()]
    tags = [t.strip() for t in config.getoption("--ocpi-tags").split(",") if t.strip()]
    keep: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    seen: dict[str, str] = {}
    for item in items:
        meta = _meta(item)
        if meta is None:
            keep.append(item)
            continue
        if meta.id in seen:
            raise pytest.UsageError(f"scenario id {meta.id} is used twice ({seen[meta.id]} and {meta.feature_file})")
        seen[meta.id] = meta.feature_file
        item.stash[META] = meta
        if not _selected(meta, ids, tags, state.target.exclude) or (
            meta.versions and state.target.version not in meta.versions
        ):
            dropped.append(item)
            continue
        wanted = {r.upper() for r in meta.roles}
        if "ANY" not in wanted and not wanted & set(state.target.roles):
            item.add_marker(
                pytest.mark.skip(
                    reason=f"written for {'/'.join(sorted(wanted))}; the target is {'/'.join(state.target.roles)}"
                )
            )
        keep.append(item)
    state.selected = {it.stash[META].id for it in keep if META in it.stash and it.get_closest_marker("skip") is None}
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    keep.sort(key=lambda it: _PHASES[it.stash[META].phase] if META in it.stash else _PHASES["default"])
    items[:] = keep


# -- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def harness(pytestconfig: pytest.Config) -> HarnessSession:
    """The harness's session with the target (peer started on first use)."""
    state = _state(pytestconfig)
    if state is None:
        raise pytest.UsageError("conformance scenarios need --ocpi-target FILE")
    return state.harness()


@pytest.fixture
def ocpi_context(request: pytest.FixtureRequest, harness: HarnessSession) -> ScenarioContext:
    """What the current scenario has sent and observed."""
    meta = request.node.stash.get(META, None)
    ctx = ScenarioContext(harness, scenario=meta.id if meta is not None else "")
    track = request.node.stash.get(TRACK, None)
    if track is not None:
        track.context = ctx
    return ctx


# -- step tracking ------------------------------------------------------------------------------


def pytest_bdd_before_scenario(request: pytest.FixtureRequest, feature: Any, scenario: Any) -> None:
    track = request.node.stash.get(TRACK, None)
    if track is not None:
        track.steps = [StepResult(keyword=s.keyword.strip(), text=s.name) for s in scenario.steps]


def _step_result(request: pytest.FixtureRequest, step: Any) -> StepResult | None:
    track = request.node.stash.get(TRACK, None)
    if track is None:
        return None
    for sr in track.steps:
        if sr.text == step.name and sr.status in ("skipped", "running"):
            return sr
    return None


def pytest_bdd_before_step(
    request: pytest.FixtureRequest, feature: Any, scenario: Any, step: Any, step_func: Any
) -> None:
    sr = _step_result(request, step)
    if sr is not None:
        sr.status = "running"
        request.node.stash[TRACK].step_started = time.monotonic()


def pytest_bdd_after_step(
    request: pytest.FixtureRequest, feature: Any, scenario: Any, step: Any, step_func: Any, step_func_args: Any
) -> None:
    sr = _step_result(request, step)
    if sr is not None:
        sr.status = "passed"
        sr.duration = time.monotonic() - request.node.stash[TRACK].step_started


def pytest_bdd_step_error(
    request: pytest.FixtureRequest,
    feature: Any,
    scenario: Any,
    step: Any,
    step_func: Any,
    step_func_args: Any,
    exception: Exception,
) -> None:
    sr = _step_result(request, step)
    if sr is not None:
        sr.duration = time.monotonic() - request.node.stash[TRACK].step_started
        if isinstance(exception, Blocked | NotJudged):  # the step stood aside: a cause another scenario owns
            sr.status = "skipped"
            sr.error = str(exception)
            return
        sr.status = "failed"
        sr.error = exception.message if isinstance(exception, Finding) else f"{type(exception).__name__}: {exception}"


# -- outcomes -----------------------------------------------------------------------------------


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    state = _state(item.config)
    if state is None or META not in item.stash:
        return
    item.stash[TRACK] = _Tracking(mark=state.recorder.mark(), judged=judged_count(), started=time.monotonic())
    meta = item.stash[META]
    if item.get_closest_marker("skip") is not None:
        return
    try:
        reason = check_needs(state.harness(), NEEDS.get(meta.id, ()))
    except Blocked as blocked:
        if blocked.owner == meta.id:
            return  # the scenario that owns the cause runs and judges it
        pytest.skip(f"skipped: {blocked}")
    except NotJudged as unjudged:
        pytest.skip(NOT_JUDGED_PREFIX + unjudged.reason)
    if reason:
        pytest.skip(reason)


def _skip_reason(report: pytest.TestReport) -> str:
    lr = report.longrepr
    if isinstance(lr, tuple) and len(lr) == 3:
        return str(lr[2]).removeprefix("Skipped: ")
    return str(lr)


def _render_failure(meta: ScenarioMeta, steps: list[StepResult], excinfo: Any, redact: bool) -> tuple[str, str, list]:
    """(short message, full text, findings as dicts) for a failed scenario."""
    exc = excinfo.value if excinfo is not None else None
    lines = [
        f"Scenario {meta.id} [{meta.level.value.upper()}]: {meta.title}",
        f"  feature: {meta.feature_file}:{meta.line}",
    ]
    for s in steps:
        mark = {"passed": "✔", "failed": "✘", "running": "✘"}.get(s.status, "-")
        lines.append(f"  {mark} {s.keyword} {s.text}")
    lines.append("")
    findings: list[dict[str, Any]] = []
    if isinstance(exc, Finding):
        subs = getattr(exc, "findings", [exc])
        findings = [f.to_dict(redact=redact) for f in subs]
        lines.append(exc.render(redact=redact))
        first = subs[0]
        message = exc.message
        if first.actual and len(first.actual) < 160 and "\n" not in first.actual:
            message += f" — got {first.actual}"
    elif exc is not None:
        message = f"{type(exc).__name__}: {exc}"
        lines.append("The harness hit an unexpected error (a harness defect or an unusable answer):")
        lines.append("".join(traceback.format_exception(type(exc), exc, exc.__traceback__, limit=6)))
    else:
        message = "failed"
    return message, "\n".join(lines), findings


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    state = _state(item.config)
    if state is None or META not in item.stash:
        return
    meta = item.stash[META]
    track = item.stash.get(TRACK, None) or _Tracking()
    item.stash[TRACK] = track
    if report.when == "teardown" or track.result is not None:
        return
    if report.when == "setup" and report.passed:
        return
    ctx = track.context
    exchanges = state.recorder.since(track.mark)
    if ctx is not None:
        exchanges += [e for e in ctx.evidence if all(e is not x for x in exchanges)]
        exchanges.sort(key=lambda e: e.started)
    redact = state.target.redact_tokens
    result = ScenarioResult(
        id=meta.id,
        title=meta.title,
        area=meta.area,
        feature=meta.feature,
        feature_file=meta.feature_file,
        level=meta.level,
        spec=meta.spec,
        checklist=meta.checklist,
        roles=meta.roles,
        interfaces=interfaces_of(meta.id),
        description=meta.description,
        line=meta.line,
        duration=time.monotonic() - track.started,
        exchanges=[e.to_dict(redact=redact) for e in exchanges],
        notes=list(ctx.notes) if ctx else [],
    )
    for s in track.steps:
        if s.status == "running":
            s.status = "skipped" if report.skipped else "failed"
    result.steps = track.steps
    exc = call.excinfo.value if call.excinfo is not None else None
    checked = judged_since(track.judged)
    if report.failed and isinstance(exc, NotJudged):
        # No answer the harness can judge (the network, a refused configured token): never the target's finding.
        report.outcome = "skipped"
        report.longrepr = (str(item.path), meta.line, f"Skipped: {NOT_JUDGED_PREFIX}{exc.reason}")
    elif report.failed and isinstance(exc, Blocked):
        # A cause another scenario owns (a redirect, a failed registration): skipped, naming that scenario.
        report.outcome = "skipped"
        report.longrepr = (str(item.path), meta.line, f"Skipped: skipped: {exc}")
    elif report.passed and report.when == "call" and not checked:
        report.outcome = "skipped"
        report.longrepr = (
            str(item.path),
            meta.line,
            "Skipped: nothing was checked (no answer reached a check); see the scenario's notes",
        )
    if report.skipped:
        result.outcome = Outcome.SKIP
        result.message = _skip_reason(report)
    elif report.failed:
        message, text, findings = _render_failure(meta, track.steps, call.excinfo, redact)
        result.outcome = outcome_for_failure(meta.level, strict=state.strict)
        result.message = message
        result.details = text
        result.findings = findings
        if result.outcome is Outcome.WARN:
            report.outcome = "passed"
            report.longrepr = None
            report.sections.append(("ocpi-conformance warning", text))
        else:
            report.longrepr = text
    else:
        result.outcome = Outcome.PASS
    if checked and result.outcome is not Outcome.SKIP:
        answers = len({label for _, label in checked})
        names = sorted({name for name, _ in checked})
        result.notes.append(f"checked: {len(checked)} judgement(s) on {answers} answer(s) ({', '.join(names)})")
    report.ocpi_outcome = result.outcome.value  # type: ignore[attr-defined]
    track.result = result
    state.results.append(result)


def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config) -> tuple[str, str, str] | None:
    if getattr(report, "ocpi_outcome", None) == "warn" and report.when == "call":
        return "warned", "W", "WARN"
    return None


# -- end of run ---------------------------------------------------------------------------------


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    state = _state(session.config)
    if state is None:
        return
    peer_url = ""
    if state.session is not None:
        peer_url = state.session.peer.versions_url
        state.session.close(cleanup=True)
    target = state.target
    run = RunResult(
        version=target.version or versions.current(),
        target_name=target.display_name,
        versions_url=target.versions_url,
        started=state.started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        finished=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        strict=state.strict,
        harness_version=__version__,
        party=f"{target.party.country_code}/{target.party.party_id} ({target.party.role})",
        peer_url=peer_url,
        target_roles=list(target.roles),
        observations=list(state.session.observations) if state.session else [],
        scenarios=state.results,
    )
    _resolve_owners(state.results)
    state.run = run
    if (link := _pass_link(session.config)) is not None:
        link.run = run
        link.handed_over = dict(state.session.handed_over) if state.session is not None else {}
    from conformance.report import write_reports

    state.written = write_reports(run, state.report_dir)
    if exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) and state.results:
        session.exitstatus = run.exit_code


def _resolve_owners(results: list[ScenarioResult]) -> None:
    """A skip that names a scenario which was itself skipped names that scenario's owner instead (transitively):
    "registration failed — see credentials.registration" becomes "... — see transport.no-redirects (via
    credentials.registration)" when the registration was skipped because of a redirect."""
    by_id = {r.id: r for r in results}
    for r in results:
        if r.outcome is not Outcome.SKIP:
            continue
        seen: list[str] = []
        m = SEE.search(r.message)
        while m and m.group(1) in by_id and m.group(1) not in seen:
            owner = by_id[m.group(1)]
            if owner.outcome is not Outcome.SKIP or not (nxt := SEE.search(owner.message)):
                break
            seen.append(m.group(1))
            m = nxt
        if seen and m:
            head = SEE.split(r.message, maxsplit=1)[0].rstrip()
            r.message = f"{head} — see {m.group(1)} (via {', '.join(seen)})"


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    state = _state(config)
    if state is None or state.run is None:
        return
    from conformance.report.terminal import summary_lines

    terminalreporter.write_sep("=", f"OCPI {state.run.version} conformance")
    for line, markup in summary_lines(state.run):
        terminalreporter.write_line(line, **markup)
    for path in state.written:
        terminalreporter.write_line(f"report: {path}")
