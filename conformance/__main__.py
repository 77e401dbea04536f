"""ocpi-conformance: certify an OCPI 2.3.0 or 2.2.1 platform from its versions URL.

    ocpi-conformance init > target.toml      annotated template (a CPO and an eMSP identity)
    ocpi-conformance plan target.toml [ID ...] [--version V] [--read-only] [--offline] [--json]
    ocpi-conformance run target.toml [ID ...] [--version V ...] [--read-only] [--strict] [--tags T,..] [-v]
    ocpi-conformance fuzz target.toml [--version V] [--max-examples N] [--seed S] [--junit FILE] [--allow-writes]
    ocpi-conformance list [--tags T,..] [--json]
    ocpi-conformance completion bash|zsh|tcsh   shell completion (eval "$(ocpi-conformance completion bash)")

run certifies each version in its own pass, highest first: the versions --version or [run] versions
name, else every version the target offers that the harness certifies (2.3.0, 2.2.1; a target that
offers neither is "nothing judged", exit 3). Each pass has its own peer offering only that version,
its own registration (the first pass registers with token A; the next ones move the registration
to their version by a credentials PUT) and its own oracle (openapi.yaml, openapi-2.2.1.yaml); a
scenario applies to every version unless tagged @version.<v>. With several passes each version's
reports go to <report dir>/<version>/ and the report dir holds the verdict per version in every
format; the exit code is 1 if any pass failed, 3 if no pass judged anything.

A pass is a thin wrapper: a separate pytest session (its own rootdir, an empty config and no
auto-loaded plugins, so the calling project's pytest settings and plugins do not apply) over
conformance/scenarios with pytest_bdd and the conformance.plugin plugin.

The harness plays the parties target.toml gives it ([[identities]]: country code, party id, role,
token_a or token), each registered on its own with its own embedded peer, and takes the role
opposite to the target's: as a CPO it writes Locations, Tariffs, Sessions and CDRs to the target's
Receivers, as an eMSP Tokens, always under its own party ids, and retires what it created at the end
(EVSEs REMOVED, tariffs deleted, tokens invalidated, sessions completed; CDRs cannot be removed).
--read-only runs nothing that writes module objects, rotates or deletes credentials (each such
scenario is skipped, saying so). `plan` prints what would run and what would be skipped and why,
from target.toml, the scenario tags and the target's version details, and says whether the target
answers and takes the token (GETs only; --offline: none). target.toml is read strictly: every key,
its type and default are in docs/target-toml.md.

Every request goes to the URL the target advertises, exactly as published (a trailing slash is
kept; the spec's path suffixes are appended with one "/"); redirects are never followed: a 3xx is
judged once, by transport.no-redirects. What each scenario needs (no token, token A, a
registration, an advertised module, data) is declared in conformance/plan.py; without a
registration everything token A allows still runs, and a scenario whose prerequisite failed is
skipped naming the scenario that owns the cause. A cause that is not the target's (the network,
DNS, TLS, a spent or wrong token in target.toml) is never a finding: what it prevents is skipped,
"not judged", with that cause. The report opens with the plan (what ran, what was skipped and why)
and those root causes, and gives verdicts per area, per role the harness played and per module
interface of the target.

fuzz runs schemathesis over the GETs of every module the target advertises; --allow-writes adds
the writes of the Receivers the primary identity owns objects on, pinned to its own party id.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import traceback
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, NoReturn

from conformance import SCENARIOS_DIR, __version__
from conformance.target import TEMPLATE, ConfigError, TargetConfig, load_target
from conformance.versions import KNOWN as KNOWN_VERSIONS

__all__ = ("EXIT_CODES", "main", "pytest_args")

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_NOTHING_JUDGED, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130

EXIT_CODES: tuple[tuple[int, str], ...] = (
    (
        EXIT_OK,
        "conformant: something was judged and no scenario failed (plan: a run would judge something; list: listed)",
    ),
    (EXIT_FAILED, "not conformant: a SHALL scenario failed (a SHOULD one too, with --strict); fuzz: a check failed"),
    (
        EXIT_USAGE,
        "usage or configuration error: a wrong argument, an unknown scenario id or tag, target.toml missing "
        "or invalid, the harness extra not installed; nothing was sent",
    ),
    (
        EXIT_NOTHING_JUDGED,
        "nothing judged: the target could not be reached (network, DNS, TLS), refused the token "
        "target.toml gives, or every scenario was skipped; the reason is printed",
    ),
    (
        EXIT_INTERNAL,
        "the harness itself failed (a defect of the harness, not of the target): run again with --debug "
        "and report the traceback",
    ),
    (EXIT_INTERRUPTED, "interrupted (Ctrl-C or SIGTERM); what the harness created was retired as far as it got"),
)
"""The one exit-code table of every command (run, plan, fuzz, list), shown by --help and in README.md."""

COMMANDS = ("init", "plan", "run", "fuzz", "list", "completion")

_HARNESS_EXTRA = frozenset({"pytest", "pytest_bdd", "schemathesis", "jsonschema", "referencing", "_pytest"})
"""What the ``harness`` extra installs: without it, the commands that need it say so in one line."""


def _exit_table() -> str:
    return "exit codes (run, plan, fuzz, list):\n" + "\n".join(f"  {code:>3}  {text}" for code, text in EXIT_CODES)


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors that say what to do, and exit code 2."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.split()[-1] if " " in self.prog else ""
        help_hint = f"ocpi-conformance {command} --help" if command else "ocpi-conformance --help"
        if message.startswith("argument ") and ": " in message:
            where, what = message.removeprefix("argument ").split(": ", 1)
            message = f"{where}: {what}"
        raise _UsageError(f"{message} (see {help_hint})")


class _UsageError(Exception):
    """A usage mistake: printed as one line, exit code 2."""


def pytest_args(
    target: str | Path,
    *,
    ids: Sequence[str] = (),
    tags: str = "",
    strict: bool = False,
    report_dir: str | Path | None = None,
    verbose: int = 0,
) -> list[str]:
    """Arguments for an isolated pytest session running the conformance scenarios."""
    args = [
        str(SCENARIOS_DIR),
        "-c",
        os.devnull,
        "--rootdir",
        str(SCENARIOS_DIR),
        "--disable-plugin-autoload",  # only what a conformance run needs: faster, and no foreign plugins
        "-p",
        "no:cacheprovider",
        "-p",
        "no:locust",
        "-p",
        "pytest_bdd.plugin",
        "-p",
        "conformance.plugin",
        "--ocpi-target",
        str(Path(target).resolve()),
        "-o",
        "console_output_style=classic",
        # The plugin writes its own account of each scenario that fails or stands aside and drops pytest's. Any other
        # style has pytest parse the source of every frame first: half the CPU of a run with many findings.
        "--tb=native",
        "-rN",
    ]
    if ids:
        args += ["--ocpi-ids", ",".join(ids)]
    if tags:
        args += ["--ocpi-tags", tags]
    if strict:
        args.append("--ocpi-strict")
    if report_dir:
        args += ["--ocpi-report-dir", str(Path(report_dir).resolve())]
    args += ["-v"] * verbose if verbose else ["-q"]
    return args


def _target(ns: argparse.Namespace) -> TargetConfig:
    if not ns.target:
        raise _UsageError(
            f"{ns.command} needs a target file: ocpi-conformance {ns.command} target.toml "
            "(write one with: ocpi-conformance init > target.toml)"
        )
    return load_target(ns.target)


def _selection(ns: argparse.Namespace) -> list[Any]:
    """The catalogue entries the given ids and tags select; an id or tag that selects nothing is a usage error."""
    import difflib

    from conformance.catalog import matches, read_catalog

    entries = read_catalog()
    known_ids = [e.id for e in entries]
    ids = list(getattr(ns, "ids", []) or [])
    for i in ids:
        if not any(e == i or e.startswith(i if i.endswith(".") else i + ".") for e in known_ids):
            guess = difflib.get_close_matches(i, known_ids + sorted({e.area + "." for e in entries}), n=1)
            hint = f"; did you mean {guess[0]}?" if guess else " (ocpi-conformance list shows them all)"
            raise _UsageError(f"no scenario has the id or id prefix {i!r}{hint}")
    tags = [t for t in (getattr(ns, "tags", "") or "").split(",") if t.strip()]
    for t in tags:
        if not any(matches(e, [t]) for e in entries):
            known = sorted({x for e in entries for x in e.tags if not x.startswith("id.")} | {e.area for e in entries})
            guess = difflib.get_close_matches(t.lstrip("@"), known, n=1)
            hint = f"; did you mean {guess[0]}?" if guess else ""
            raise _UsageError(f"no scenario carries the tag {t!r}{hint}")
    return [
        e
        for e in entries
        if matches(e, tags)
        and (not ids or any(e.id == i or e.id.startswith(i if i.endswith(".") else i + ".") for i in ids))
    ]


def _discovery(config: TargetConfig) -> tuple[str | None, list[str]]:
    """With the discovery GETs alone: why a run could judge nothing at all (the target cannot be reached, or it
    refuses the token target.toml gives; None when it answers), and the versions its list offers."""
    from conformance.session import HarnessSession

    session = HarnessSession(config)
    try:
        d = session.discover()
        return d.not_judged, [str(v.get("version")) for v in d.versions]
    finally:
        session.close(cleanup=False)


def _as_list(value: Any) -> list[str]:
    return [] if value is None else [value] if isinstance(value, str) else list(value)


def _passes(ns: argparse.Namespace, config: TargetConfig, offered: list[str]) -> list[str]:
    """The versions to certify, highest first: those asked for (``--version``, ``[run] versions``), else every
    version offered that the harness knows; a versions list that could not be read is judged in a 2.3.0 pass."""
    from conformance import versions

    asked = versions.order(_as_list(getattr(ns, "version", None))) or list(config.versions)
    if asked:
        return asked
    if not offered:
        return [versions.V230]
    return versions.certifiable(offered)


def _run(ns: argparse.Namespace) -> int:

    from conformance import versions
    from conformance.plugin import PassLink

    config = _target(ns)
    _selection(ns)
    reason, offered = _discovery(config)
    if reason is not None:  # one line, not a report of 90 skipped scenarios
        print(f"ocpi-conformance: nothing judged (exit code 3): {reason}", file=sys.stderr)
        return EXIT_NOTHING_JUDGED
    passes = _passes(ns, config, offered)
    if not passes:
        print(
            f"ocpi-conformance: nothing judged (exit code 3): the target offers {', '.join(offered)}; the harness "
            f"certifies {' and '.join(versions.KNOWN)} only",
            file=sys.stderr,
        )
        return EXIT_NOTHING_JUDGED
    report_dir = Path(ns.report_dir or config.report_dir).resolve()
    links: list[tuple[str, PassLink, int]] = []
    carried: dict[str, str] = {}
    for n, version in enumerate(passes):
        link = PassLink(carried=carried, hand_over=passes[n + 1] if n + 1 < len(passes) else None)
        code = _one_pass(ns, version, link, report_dir / version if len(passes) > 1 else report_dir)
        links.append((version, link, code))
        if code in (EXIT_INTERRUPTED, EXIT_USAGE, EXIT_INTERNAL):
            return code
        carried = link.handed_over
    if len(passes) == 1:
        return links[0][2]
    runs = [link.run for _, link, _ in links if link.run is not None]
    from conformance.report import write_combined

    not_certified = versions.unknown(offered)
    for path in write_combined(runs, report_dir, not_certified=not_certified):
        print(f"report: {path}")
    for line in _verdict_lines(runs, not_certified):
        print(line)
    codes = [code for _, _, code in links]
    if EXIT_FAILED in codes:
        return EXIT_FAILED
    return EXIT_OK if EXIT_OK in codes else EXIT_NOTHING_JUDGED


def _verdict_lines(runs: list[Any], not_certified: list[str]) -> list[str]:
    from conformance.report.terminal import verdict_text

    lines = ["verdict per version:"]
    lines += [f"  OCPI {run.version}: {verdict_text(run)}" for run in runs]
    if not_certified:
        lines.append(f"  also offered, not certified by this harness: {', '.join(not_certified)}")
    return lines


def _one_pass(ns: argparse.Namespace, version: str, link: Any, report_dir: Path) -> int:
    """One version's pass: a pytest session of its own (its own registration, its own peer speaking that version)."""
    import pytest

    args = pytest_args(ns.target, ids=ns.ids, tags=ns.tags, strict=ns.strict, report_dir=report_dir, verbose=ns.verbose)
    args += ["--ocpi-version", version]
    if ns.read_only:
        args.append("--ocpi-read-only")
    if ns.no_broadcast:
        args.append("--ocpi-no-broadcast")
    outcome = _RunOutcome()
    outcome.ocpi_pass = link
    previous = signal.signal(signal.SIGTERM, _interrupt) if hasattr(signal, "SIGTERM") else None
    try:
        with contextlib.chdir(SCENARIOS_DIR):  # short test ids in pytest's own output; every path is absolute
            code = pytest.main(args, plugins=[outcome])
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    if code == pytest.ExitCode.INTERRUPTED:
        return EXIT_INTERRUPTED
    if outcome.code is not None:
        return outcome.code
    if code == pytest.ExitCode.USAGE_ERROR:
        return EXIT_USAGE
    if code == pytest.ExitCode.NO_TESTS_COLLECTED:
        print(f"ocpi-conformance: no scenario was selected for {version}: nothing judged", file=sys.stderr)
        return EXIT_NOTHING_JUDGED
    print(f"ocpi-conformance: the conformance run ended abnormally (pytest exit {int(code)})", file=sys.stderr)
    return EXIT_INTERNAL


def _interrupt(signum: int, frame: Any) -> None:
    """SIGTERM ends a run like Ctrl-C: the pytest session finishes, so the harness retires what it created."""
    raise KeyboardInterrupt


class _RunOutcome:
    """Reads the run's own exit code (0, 1 or 3) from the conformance plugin once the session is over, and carries
    the pass's :class:`~conformance.plugin.PassLink` to it."""

    code: int | None = None
    ocpi_pass: Any = None

    def pytest_unconfigure(self, config: Any) -> None:
        from conformance.plugin import RUN_STATE

        state = config.stash.get(RUN_STATE, None)
        if state is not None and state.run is not None:
            self.code = state.run.exit_code


def _fuzz(ns: argparse.Namespace) -> int:
    from conformance.fuzz import FuzzOptions, run_fuzz

    config = _target(ns)
    if ns.report_dir:
        config = replace(config, report_dir=Path(ns.report_dir).resolve())
    if ns.max_examples < 1:
        raise _UsageError(f"--max-examples must be at least 1, got {ns.max_examples}")
    options = FuzzOptions(
        max_examples=ns.max_examples,
        seed=ns.seed,
        junit=Path(ns.junit).resolve() if ns.junit else None,
        allow_writes=ns.allow_writes,
    )
    if ns.allow_writes and config.read_only:
        raise _UsageError("--allow-writes contradicts [run] read_only = true in the target file")
    from conformance import versions

    version = ns.version
    if version is None:
        reason, offered = _discovery(config)  # unreachable: the fuzz run says so itself, in its own words
        version = (_passes(ns, config, [] if reason else offered) or [versions.V230])[0]
    versions.use(version)
    return run_fuzz(replace(config, version=version), options)


def _discovery_lines(config: TargetConfig, discovery: Any) -> list[str]:
    if discovery is None:
        return ["target: not contacted (--offline)"]
    if discovery.not_judged:
        return [f"target: {discovery.not_judged}"]
    token = "token A" if config.token_a else "token C"
    if discovery.problem:
        return [f"target: answers, {token} accepted; discovery failed: {discovery.problem}"]
    listed = ", ".join(sorted(f"{e.get('identifier')} {e.get('role')}" for e in discovery.endpoints))
    return [f"target: answers, {token} accepted, offers 2.3.0", f"endpoints: {listed}"]


def _plan(ns: argparse.Namespace) -> int:
    from conformance.plan import static_plan
    from conformance.session import HarnessSession

    config = _target(ns)
    entries = _selection(ns)
    if ns.read_only:
        config = replace(config, read_only=True)
    if ns.no_broadcast:
        config = replace(config, broadcast=False)
    from conformance import versions

    version = ns.version
    if version is None:
        offered = [] if ns.offline else _discovery(config)[1]
        version = (_passes(ns, config, offered) or [versions.V230])[0]
    versions.use(version)
    config = replace(config, version=version)
    entries = [e for e in entries if not e.versions or version in e.versions]
    discovery = None
    if not ns.offline:
        session = HarnessSession(config)
        try:
            discovery = session.discover()
        finally:
            session.close(cleanup=False)
    lines = static_plan(config, entries, discovery)
    if discovery is not None and discovery.not_judged:
        lines = [replace(p, runs=False, why="not judged: see target above") if p.runs else p for p in lines]
    runs = sum(p.runs for p in lines)
    code = EXIT_OK if runs else EXIT_NOTHING_JUDGED
    if ns.json:
        doc = {
            "target": config.display_name,
            "versions_url": config.versions_url,
            "version": version,
            "roles": list(config.roles),
            "identities": [{"party": i.key, "registers": i.token_a is not None} for i in config.identities],
            "read_only": config.read_only,
            "broadcast": config.broadcast,
            "contacted": discovery is not None,
            "not_judged": discovery.not_judged if discovery else None,
            "problem": discovery.problem if discovery else None,
            "endpoints": discovery.endpoints if discovery else [],
            "scenarios": [{"id": p.id, "level": p.level, "runs": p.runs, "why": p.why} for p in lines],
            "would_run": runs,
            "would_skip": len(lines) - runs,
            "exit_code": code,
        }
        print(json.dumps(doc, indent=2))
        return code
    print(
        f"target file: {config.source}; {config.display_name} ({config.versions_url}), roles {'/'.join(config.roles)}; "
        f"OCPI {version}"
    )
    for ident in config.identities:
        how = "registers with token A" if ident.token_a else "uses its token C"
        print(f"harness identity: {ident.key}, {how}")
    if config.read_only:
        print("read-only: nothing that writes module objects or changes credentials will run")
    if not config.broadcast:
        print("no-broadcast: Locations, Tariffs and Tokens are addressed to the harness's other identity, not the hub")
    for line in _discovery_lines(config, discovery):
        print(line)
    print()
    if discovery is not None and discovery.not_judged:
        print(f"a run would judge nothing (exit code 3): {discovery.not_judged}")
        return code
    width = max((len(p.id) for p in lines), default=10)
    print(f"{'PLAN':<4}  {'SCENARIO':<{width}}  {'LEVEL':<6}  WHY")
    for p in lines:
        print(f"{'RUN ' if p.runs else 'SKIP'}  {p.id:<{width}}  {p.level.upper():<6}  {p.why}")
    print()
    print(f"{runs} would run, {len(lines) - runs} would be skipped (a run may skip more: a failed registration, ")
    print("a list without enough objects; each skip then names the scenario that owns its cause)")
    if code == EXIT_NOTHING_JUDGED:
        print("a run would judge nothing (exit code 3)")
    return code


def _list(ns: argparse.Namespace) -> int:
    entries = _selection(ns)
    if ns.json:
        doc = [
            {
                "id": e.id,
                "title": e.title,
                "level": e.level,
                "roles": e.roles,
                "area": e.area,
                "spec": e.spec,
                "feature_file": e.feature_file,
                "line": e.line,
            }
            for e in entries
        ]
        print(json.dumps(doc, indent=2))
        return EXIT_OK
    width = max((len(e.id) for e in entries), default=10)
    print(f"{'SCENARIO':<{width}}  {'LEVEL':<6}  {'ROLES':<8}  TITLE")
    for e in entries:
        print(f"{e.id:<{width}}  {e.level.upper():<6}  {','.join(e.roles):<8}  {e.title}")
        print(f"{'':<{width}}  spec: {', '.join(e.spec)}   ({e.feature_file}:{e.line})")
    print(f"{len(entries)} scenario(s)")
    return EXIT_OK


def _completion(ns: argparse.Namespace) -> int:
    sys.stdout.write(completion_script(build_parser(), ns.shell))
    return EXIT_OK


def completion_script(parser: argparse.ArgumentParser, shell: str) -> str:
    """The shell's completion script, generated by shtab from the parser itself (so it lists exactly the commands and
    options that exist; target files complete as files)."""
    import shtab

    return str(shtab.complete(parser, shell=shell)) + "\n"


def build_parser() -> argparse.ArgumentParser:
    import shtab

    common = _Parser(add_help=False)
    common.add_argument("--debug", action="store_true", help="show the traceback of an unexpected error")
    parser = _Parser(
        prog="ocpi-conformance",
        description=__doc__,
        epilog=_exit_table(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    parser.add_argument(
        "--version", action="version", version=f"ocpi-conformance {__version__} (OCPI {', '.join(KNOWN_VERSIONS)})"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        return sub.add_parser(
            name,
            help=help_text,
            parents=[common],
            epilog=_exit_table(),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    command("init", "print an annotated target.toml template (every key: docs/target-toml.md)")

    run = command("run", "run the Gherkin scenarios against a target (exit 0 pass, 1 failed, 3 nothing judged)")
    run.add_argument("target", nargs="?", help="target.toml").complete = shtab.FILE  # type: ignore[attr-defined]
    run.add_argument("ids", nargs="*", metavar="ID", help="scenario ids or id prefixes (default: all)")
    run.add_argument("--strict", action="store_true", help="SHOULD-level failures fail the run")
    run.add_argument("--tags", default="", help="only scenarios carrying all these comma-separated tags")
    run.add_argument("--report-dir", help="where to write the reports (default: from target.toml)")
    run.add_argument(
        "--version",
        action="append",
        choices=KNOWN_VERSIONS,
        help="an OCPI version to certify, in a pass of its own (repeatable; default: [run] versions, else every "
        "version the target offers that the harness certifies, highest first; with several, each version's reports "
        "go to <report dir>/<version>/ and a summary of all to the report dir)",
    )
    run.add_argument("-v", "--verbose", action="count", default=0, help="one line per scenario")
    run.add_argument(
        "--read-only",
        action="store_true",
        help="production targets: write no module objects, neither rotate nor delete credentials",
    )
    run.add_argument(
        "--no-broadcast",
        action="store_true",
        help="against a hub: address every Location, Tariff and Token the harness writes to its own other identity, "
        "never to the hub itself (no real partner receives them; the broadcast scenarios are skipped)",
    )

    plan = command(
        "plan",
        "what a run would do: whether the target answers and takes the token, then each scenario RUN (and what it "
        "needs) or SKIP (and why), for one version's pass; sends only the discovery GETs (versions, that version's "
        "details), never a write",
    )
    plan.add_argument("target", nargs="?", help="target.toml").complete = shtab.FILE  # type: ignore[attr-defined]
    plan.add_argument("ids", nargs="*", metavar="ID", help="scenario ids or id prefixes (default: all)")
    plan.add_argument("--read-only", action="store_true", help="plan a --read-only run")
    plan.add_argument("--no-broadcast", action="store_true", help="plan a --no-broadcast run")
    plan.add_argument("--tags", default="", help="only scenarios carrying all these comma-separated tags")
    plan.add_argument("--offline", action="store_true", help="do not contact the target at all")
    plan.add_argument(
        "--version",
        choices=KNOWN_VERSIONS,
        help="the version whose pass to plan (default: the first a run would certify)",
    )
    plan.add_argument("--json", action="store_true", help="the plan as JSON on standard output")

    fuzz = command(
        "fuzz",
        "schemathesis on the description of one version (openapi.yaml, openapi-2.2.1.yaml), limited to what the "
        "target advertises, on its URLs exactly as advertised "
        "(redirects are findings, never followed; one finding per response)",
    )
    fuzz.add_argument("target", nargs="?", help="target.toml").complete = shtab.FILE  # type: ignore[attr-defined]
    fuzz.add_argument(
        "--version",
        choices=KNOWN_VERSIONS,
        help="the OCPI version to fuzz, from its own description (default: the first of [run] versions, else the "
        "highest version the target offers that the harness certifies)",
    )
    fuzz.add_argument("--max-examples", type=int, default=25, help="generated cases per operation (default 25)")
    fuzz.add_argument("--seed", type=int, help="random seed, for a reproducible run")
    fuzz.add_argument("--junit", help="JUnit file (default: <report dir>/fuzz-junit.xml)")
    fuzz.add_argument("--report-dir", help="where to write the reports (default: from target.toml)")
    fuzz.add_argument(
        "--allow-writes",
        action="store_true",
        help="also fuzz the PUT/PATCH/POST of the Receivers the primary identity's role owns objects on (a CPO: "
        "locations, tariffs, sessions, CDRs; an eMSP: tokens), pinned to its own country_code/party_id; what is "
        "written stays on the target, so use a test platform",
    )

    lst = command("list", "list scenario ids, spec references and requirement levels")
    lst.add_argument("--tags", default="", help="only scenarios carrying all these comma-separated tags")
    lst.add_argument("--json", action="store_true", help="the scenarios as JSON on standard output")

    comp = command("completion", 'print a shell completion script: eval "$(ocpi-conformance completion bash)"')
    comp.add_argument("shell", choices=("bash", "zsh", "tcsh"), help="bash, zsh or tcsh")
    return parser


def _command_error(argv: Sequence[str]) -> str | None:
    """One line for a missing or unknown command, with the valid ones (argparse would print usage and a dump)."""
    import difflib

    words = [a for a in argv if not a.startswith("-")]
    if any(a in ("-h", "--help", "--version") for a in argv) and not words:
        return None
    listing = ", ".join(COMMANDS)
    if not words:
        return f"give a command: {listing} (see ocpi-conformance --help)"
    if words[0] not in COMMANDS:
        guess = difflib.get_close_matches(words[0], COMMANDS, n=1)
        hint = f"did you mean {guess[0]}? " if guess else ""
        return f"unknown command {words[0]!r}; {hint}the commands are: {listing}"
    return None


def _unknown_arguments(parser: argparse.ArgumentParser, command: str, extra: list[str]) -> str:
    """One line for an option the command does not have, with the closest one it has."""
    import difflib

    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    known = [o for a in sub.choices[command]._actions for o in a.option_strings]
    first = next((e for e in extra if e.startswith("-")), extra[0])
    guess = difflib.get_close_matches(first.split("=")[0], known, n=1, cutoff=0.75)
    hint = f"; did you mean {guess[0]}?" if guess else ""
    return f"{command} has no argument {first!r}{hint} (see ocpi-conformance {command} --help)"


def main(argv: Sequence[str] | None = None) -> int:
    if hasattr(signal, "SIGPIPE"):  # `ocpi-conformance list | head` ends quietly
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        problem = _command_error(args)
        if problem:
            raise _UsageError(problem)
        parser = build_parser()
        ns, extra = parser.parse_known_args(args)
        if hasattr(ns, "ids"):  # scenario ids given after an option (argparse leaves those over)
            ns.ids += [e for e in extra if not e.startswith("-")]
            extra = [e for e in extra if e.startswith("-")]
        if extra:
            raise _UsageError(_unknown_arguments(parser, ns.command, extra))
        if ns.command == "init":
            sys.stdout.write(TEMPLATE)
            return EXIT_OK
        handler = {"run": _run, "fuzz": _fuzz, "plan": _plan, "list": _list, "completion": _completion}[ns.command]
        return handler(ns)
    except (_UsageError, ConfigError) as exc:
        print(f"ocpi-conformance: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("ocpi-conformance: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # a harness defect: one line, the traceback only when asked for
        if isinstance(exc, ModuleNotFoundError) and (exc.name or "").split(".")[0] in _HARNESS_EXTRA:
            print(
                f"ocpi-conformance: {exc.name} is not installed: the harness needs its extra "
                "(pip install 'ocpi-hub[harness]', or make install for everything)",
                file=sys.stderr,
            )
            return EXIT_USAGE
        if debug:
            traceback.print_exc()
        else:
            print(
                f"ocpi-conformance: internal error: {type(exc).__name__}: {exc} (run again with --debug for the "
                "traceback, and report it)",
                file=sys.stderr,
            )
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
