"""Terminal summary grouped by area (the folder of the feature files)."""

from __future__ import annotations

from conformance.model import ANY_PARTNER, Outcome, PlanGroup, RootCause, RunResult, Tally

__all__ = ("plan_lines", "root_cause_line", "summary_lines", "summary_text", "tally_line", "verdict_text")

_MARKUP = {
    Outcome.PASS: {"green": True},
    Outcome.FAIL: {"red": True, "bold": True},
    Outcome.WARN: {"yellow": True},
    Outcome.SKIP: {},
}


def _counts(c: dict[str, int]) -> str:
    return f"{c['pass']} pass, {c['fail']} fail, {c['warn']} warn, {c['skip']} skip"


def summary_lines(run: RunResult) -> list[tuple[str, dict[str, bool]]]:
    """(text, markup) lines: per area a count line, then every non-passing scenario with its reason."""
    lines: list[tuple[str, dict[str, bool]]] = [
        (
            f"target {run.target_name} — {run.versions_url} — OCPI {run.version}"
            + ("  [strict]" if run.strict else ""),
            {"bold": True},
        ),
    ]
    lines += [(line, {}) for line in plan_lines(run.plan())]
    if run.nothing_judged():  # nothing to break down: the plan above and the verdict below say it all
        lines += [(f"note: {obs}", {}) for obs in run.observations]
        lines.append((f"verdict: NOTHING JUDGED — {run.nothing_judged()} (exit code {run.exit_code})", {"bold": True}))
        return lines
    causes = run.root_causes()
    if causes:
        lines.append(("root causes (each with what it explains; details below):", {"bold": True}))
        for cause in causes:
            lines.append((f"  {root_cause_line(cause)}"[:300], _MARKUP[cause.outcome]))
    tables = [("by role the harness played", run.by_role()), ("by interface", run.by_interface())]
    tables = [(title, ts) for title, ts in tables if any(t.label != ANY_PARTNER for t in ts)]
    width = max((len(t.label) for _, ts in tables for t in ts), default=0)
    for title, tallies in tables:
        lines.append((f"verdicts {title}:", {"bold": True}))
        lines += [(f"  {tally_line(t, width)}", _MARKUP[t.verdict]) for t in tallies]
    width = max((len(a) for a in run.areas()), default=10)
    for area in run.areas():
        verdict = run.verdict(area)
        c = run.counts(area)
        lines.append(
            (
                f"{area:<{width}}  {sum(c.values()):>3} scenarios: {_counts(c):<40} {verdict.value.upper()}",
                _MARKUP[verdict],
            )
        )
        for s in run.scenarios:
            if s.area != area or s.outcome is Outcome.PASS:
                continue
            reason = s.message.splitlines()[0] if s.message else ""
            lines.append(
                (
                    f"    {s.outcome.value.upper():<4} {s.id} [{s.level.value.upper()}] {reason}"[:220],
                    _MARKUP[s.outcome],
                )
            )
    for obs in run.observations:
        lines.append((f"note: {obs}", {}))
    verdict = run.verdict()
    lines.append((f"verdict: {verdict_text(run)}", {**_MARKUP[verdict], "bold": True}))
    return lines


def verdict_text(run: RunResult) -> str:
    """``CONFORMANT — ... (12 pass, 0 fail, 1 warn, 3 skip)``: one run's (one version's) verdict in a line."""
    c = run.counts()
    text = {
        Outcome.PASS: "CONFORMANT — every scenario that ran passed",
        Outcome.WARN: "CONFORMANT WITH WARNINGS — no SHALL scenario failed",
        Outcome.FAIL: f"NOT CONFORMANT — {c['fail']} scenario(s) failed",
        Outcome.SKIP: f"NOTHING JUDGED — {run.nothing_judged()} (exit code {run.exit_code})",
    }[run.verdict()]
    return f"{text} ({_counts(c)})"


def plan_lines(groups: list[PlanGroup], shown: int = 4) -> list[str]:
    """``plan: 70 scenario(s): 58 ran, 12 skipped`` and one line per skip reason with the scenarios it covers."""
    ran = sum(len(g.scenarios) for g in groups if g.ran)
    skipped = sum(len(g.scenarios) for g in groups if not g.ran)
    out = [f"plan: {ran + skipped} scenario(s): {ran} ran, {skipped} skipped"]
    for g in groups:
        if g.ran:
            continue
        ids = ", ".join(g.scenarios[:shown]) + (
            f" (+{len(g.scenarios) - shown} more)" if len(g.scenarios) > shown else ""
        )
        out.append(f"  {len(g.scenarios):>3} skipped — {g.reason}: {ids}"[:300])
    return out


def tally_line(t: Tally, width: int) -> str:
    return (
        f"{t.label:<{width}}  {sum(t.counts.values()):>3} scenarios: {_counts(t.counts):<40} {t.verdict.value.upper()}"
    )


def root_cause_line(cause: RootCause) -> str:
    """``FAIL transport.no-redirects (explains 12 skipped scenario(s)) [4 endpoint(s): ...]: <message>``."""
    first = cause.message.splitlines()[0] if cause.message else ""
    head = f"{cause.outcome.value.upper():<4} {cause.scenario}"
    if cause.explains:
        head += f" (explains {len(cause.explains)} skipped scenario(s))"
    if cause.endpoints:
        head += f" [{len(cause.endpoints)} endpoint(s): {', '.join(cause.endpoints)}]"
    return f"{head}: {first}"


def summary_text(run: RunResult) -> str:
    return "\n".join(line for line, _ in summary_lines(run))
