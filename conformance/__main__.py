"""ocpi-conformance: certify an OCPI 2.3.0 platform from its versions URL.

    ocpi-conformance init > target.toml      annotated template (a CPO and an eMSP identity)
    ocpi-conformance plan target.toml [ID ...] [--read-only] [--offline]
    ocpi-conformance run target.toml [ID ...] [--read-only] [--strict] [--tags T,..] [--report-dir DIR] [-v]
    ocpi-conformance fuzz target.toml [--max-examples N] [--seed S] [--junit FILE] [--allow-writes]
    ocpi-conformance list [--tags T,..]

run is a thin wrapper: a separate pytest session (its own rootdir, an empty config and no
auto-loaded plugins, so the calling project's pytest settings and plugins do not apply) over
conformance/scenarios with pytest_bdd and the conformance.plugin plugin.

The harness plays the parties target.toml gives it ([[identities]]: country code, party id, role,
token_a or token), each registered on its own with its own embedded peer, and takes the role
opposite to the target's: as a CPO it writes Locations, Tariffs, Sessions and CDRs to the target's
Receivers, as an eMSP Tokens, always under its own party ids, and retires what it created at the end
(EVSEs REMOVED, tariffs deleted, tokens invalidated, sessions completed; CDRs cannot be removed).
--read-only runs nothing that writes module objects, rotates or deletes credentials (each such
scenario is skipped, saying so). `plan` prints what would run and what would be skipped and why,
from target.toml, the scenario tags and the target's version details (GETs only; --offline: none).

Every request goes to the URL the target advertises, exactly as published (a trailing slash is
kept; the spec's path suffixes are appended with one "/"); redirects are never followed: a 3xx is
judged once, by transport.no-redirects. What each scenario needs (no token, token A, a
registration, an advertised module, data) is declared in conformance/plan.py; without a
registration everything token A allows still runs, and a scenario whose prerequisite failed is
skipped naming the scenario that owns the cause. The report opens with the plan (what ran, what
was skipped and why) and those root causes, and gives verdicts per area, per role the harness
played and per module interface of the target.

fuzz runs schemathesis over the GETs of every module the target advertises; --allow-writes adds
the writes of the Receivers the primary identity owns objects on, pinned to its own party id.

Exit codes: 0 no scenario failed and something was judged; 1 a SHALL scenario failed (or a
SHOULD one, with --strict); 3 nothing could be judged (every scenario skipped, the reason is in
the banner); 2 usage or configuration error.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from conformance import SCENARIOS_DIR, __version__
from conformance.target import TEMPLATE, ConfigError, load_target

__all__ = ("main", "pytest_args")


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
        "--tb=short",
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


def _run(ns: argparse.Namespace) -> int:
    import pytest

    try:
        load_target(ns.target)
    except ConfigError as exc:
        print(f"ocpi-conformance: {exc}", file=sys.stderr)
        return 4
    args = pytest_args(
        ns.target, ids=ns.ids, tags=ns.tags, strict=ns.strict, report_dir=ns.report_dir, verbose=ns.verbose
    )
    if ns.read_only:
        args.append("--ocpi-read-only")
    if ns.no_broadcast:
        args.append("--ocpi-no-broadcast")
    with contextlib.chdir(SCENARIOS_DIR):  # short test ids in pytest's own output; every path is absolute
        code = pytest.main(args)
    return int(code)


def _fuzz(ns: argparse.Namespace) -> int:
    from conformance.fuzz import FuzzOptions, run_fuzz

    try:
        config = load_target(ns.target)
    except ConfigError as exc:
        print(f"ocpi-conformance: {exc}", file=sys.stderr)
        return 4
    if ns.report_dir:
        from dataclasses import replace

        config = replace(config, report_dir=Path(ns.report_dir).resolve())
    options = FuzzOptions(
        max_examples=ns.max_examples,
        seed=ns.seed,
        junit=Path(ns.junit).resolve() if ns.junit else None,
        allow_writes=ns.allow_writes,
    )
    if ns.allow_writes and config.read_only:
        print("ocpi-conformance: --allow-writes contradicts [run] read_only = true in the target file", file=sys.stderr)
        return 4
    return run_fuzz(config, options)


def _plan(ns: argparse.Namespace) -> int:
    from dataclasses import replace

    from conformance.catalog import matches, read_catalog
    from conformance.plan import static_plan
    from conformance.session import HarnessSession

    try:
        config = load_target(ns.target)
    except ConfigError as exc:
        print(f"ocpi-conformance: {exc}", file=sys.stderr)
        return 4
    if ns.read_only:
        config = replace(config, read_only=True)
    if ns.no_broadcast:
        config = replace(config, broadcast=False)
    tags = [t for t in (ns.tags or "").split(",") if t]
    entries = [
        e
        for e in read_catalog()
        if matches(e, tags)
        and (not ns.ids or any(e.id == i or e.id.startswith(i if i.endswith(".") else i + ".") for i in ns.ids))
    ]
    discovery = None
    if not ns.offline:
        session = HarnessSession(config)
        try:
            discovery = session.discover()
        finally:
            session.close(cleanup=False)
    print(f"target: {config.display_name} ({config.versions_url}), roles {'/'.join(config.roles)}")
    for ident in config.identities:
        how = "registers with token A" if ident.token_a else "uses its token C"
        print(f"harness identity: {ident.key}, {how}")
    if config.read_only:
        print("read-only: nothing that writes module objects or changes credentials will run")
    if not config.broadcast:
        print("no-broadcast: Locations, Tariffs and Tokens are addressed to the harness's other identity, not the hub")
    if discovery is None:
        print("endpoints: not fetched (--offline)")
    elif discovery.problem:
        print(f"endpoints: discovery failed: {discovery.problem}")
    else:
        listed = ", ".join(sorted(f"{e.get('identifier')} {e.get('role')}" for e in discovery.endpoints))
        print(f"endpoints: {listed}")
    lines = static_plan(config, entries, discovery)
    width = max((len(p.id) for p in lines), default=10)
    for p in lines:
        print(f"{'RUN ' if p.runs else 'SKIP'}  {p.id:<{width}}  {p.level.upper():<6}  {p.why}")
    runs = sum(p.runs for p in lines)
    print(f"{runs} would run, {len(lines) - runs} would be skipped (a run may skip more: a failed registration, ")
    print("a list without enough objects; each skip then names the scenario that owns its cause)")
    return 0


def _list(ns: argparse.Namespace) -> int:
    from conformance.catalog import matches, read_catalog

    tags = [t for t in (ns.tags or "").split(",") if t]
    entries = [e for e in read_catalog() if matches(e, tags)]
    width = max((len(e.id) for e in entries), default=10)
    for e in entries:
        print(f"{e.id:<{width}}  {e.level.upper():<6}  {','.join(e.roles):<8}  {e.title}")
        print(f"{'':<{width}}  spec: {', '.join(e.spec)}   ({e.feature_file}:{e.line})")
    print(f"{len(entries)} scenario(s)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ocpi-conformance", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"ocpi-conformance {__version__} (OCPI 2.3.0)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser("init", help="print an annotated target.toml template")

    run = sub.add_parser(
        "run", help="run the Gherkin scenarios against a target (exit 0 pass, 1 failed, 3 nothing judged)"
    )
    run.add_argument("target", help="target.toml")
    run.add_argument("ids", nargs="*", metavar="ID", help="scenario ids or id prefixes (default: all)")
    run.add_argument("--strict", action="store_true", help="SHOULD-level failures fail the run")
    run.add_argument("--tags", default="", help="only scenarios carrying all these comma-separated tags")
    run.add_argument("--report-dir", help="where to write the reports (default: from target.toml)")
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

    plan = sub.add_parser(
        "plan",
        help="what a run would do: each scenario RUN (and what it needs) or SKIP (and why); sends only the discovery "
        "GETs (versions, 2.3.0 details), never a write",
    )
    plan.add_argument("target", help="target.toml")
    plan.add_argument("ids", nargs="*", metavar="ID", help="scenario ids or id prefixes (default: all)")
    plan.add_argument("--read-only", action="store_true", help="plan a --read-only run")
    plan.add_argument("--no-broadcast", action="store_true", help="plan a --no-broadcast run")
    plan.add_argument("--tags", default="", help="only scenarios carrying all these comma-separated tags")
    plan.add_argument("--offline", action="store_true", help="do not contact the target at all")

    fuzz = sub.add_parser(
        "fuzz",
        help="schemathesis on openapi.yaml, limited to what the target advertises, on its URLs exactly as advertised "
        "(redirects are findings, never followed; one finding per response)",
    )
    fuzz.add_argument("target", help="target.toml")
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

    lst = sub.add_parser("list", help="list scenario ids, spec references and requirement levels")
    lst.add_argument("--tags", default="", help="only scenarios carrying all these comma-separated tags")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    if hasattr(signal, "SIGPIPE"):  # `ocpi-conformance list | head` ends quietly
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    ns = build_parser().parse_args(argv)
    if ns.command == "init":
        sys.stdout.write(TEMPLATE)
        return 0
    if ns.command == "run":
        return _run(ns)
    if ns.command == "fuzz":
        return _fuzz(ns)
    if ns.command == "plan":
        return _plan(ns)
    return _list(ns)


if __name__ == "__main__":
    sys.exit(main())
