"""A self-contained HTML certification report, meant to be handed to a partner.

One file, no scripts, no external resources: a verdict, a table per area, and for every scenario
its requirement, spec reference, steps, findings and the exact exchanges (tokens redacted unless
the run was told otherwise). Prints cleanly.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from conformance.model import ANY_PARTNER, Exchange, Outcome, RunResult, ScenarioResult, Tally
from conformance.specref import SPEC_SECTIONS
from conformance.versions import DESCRIPTIONS

__all__ = ("html_report",)

_CSS = """
:root { --pass:#1b7f3b; --fail:#b42318; --warn:#b54708; --skip:#667085; --ink:#101828; --muted:#475467;
        --line:#d0d5dd; --bg:#f9fafb; }
* { box-sizing: border-box; }
body { font: 14px/1.5 -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: var(--ink);
       margin: 0; background: #fff; }
main { max-width: 1100px; margin: 0 auto; padding: 32px 24px 64px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 36px 0 10px; border-bottom: 1px solid var(--line); padding-bottom: 6px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
.sub { color: var(--muted); margin: 0 0 20px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 16px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--bg); font-weight: 600; font-size: 13px; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.meta td:first-child { color: var(--muted); width: 210px; }
.badge { display: inline-block; min-width: 48px; text-align: center; padding: 1px 8px; border-radius: 10px;
         font-size: 12px; font-weight: 700; color: #fff; letter-spacing: .03em; }
.b-pass { background: var(--pass); } .b-fail { background: var(--fail); } .b-warn { background: var(--warn); }
.b-skip { background: var(--skip); }
.verdict { border-radius: 10px; padding: 18px 22px; margin: 18px 0 8px; color: #fff; }
.verdict strong { font-size: 22px; display: block; } .v-pass { background: var(--pass); }
.v-fail { background: var(--fail); } .v-warn { background: var(--warn); } .v-skip { background: var(--skip); }
.level { font-size: 11px; font-weight: 700; color: var(--muted); border: 1px solid var(--line); border-radius: 4px;
         padding: 0 4px; }
details.sc { border: 1px solid var(--line); border-radius: 8px; margin: 8px 0; background: #fff; }
details.sc > summary { cursor: pointer; padding: 8px 12px; list-style: none; display: flex; gap: 10px;
         align-items: baseline; }
details.sc > summary::-webkit-details-marker { display: none; }
details.sc[open] > summary { border-bottom: 1px solid var(--line); background: var(--bg); }
.sc-body { padding: 10px 14px 14px; }
.sc-id { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; color: var(--muted); }
.sc-title { flex: 1; } .reason { color: var(--muted); font-size: 13px; }
.finding { border-left: 4px solid var(--fail); background: #fef3f2; padding: 8px 12px; margin: 8px 0;
           border-radius: 0 6px 6px 0; }
.finding.warn { border-color: var(--warn); background: #fffaeb; }
.finding dl { margin: 6px 0 0; display: grid; grid-template-columns: 90px 1fr; gap: 2px 8px; }
.finding dt { color: var(--muted); } .finding dd { margin: 0; white-space: pre-wrap; word-break: break-word; }
pre { background: #0c111d; color: #e4e7ec; padding: 10px 12px; border-radius: 6px; overflow-x: auto;
      font: 12px/1.45 ui-monospace, Menlo, Consolas, monospace; white-space: pre-wrap; word-break: break-all; }
ol.steps { margin: 4px 0 8px; padding-left: 22px; } ol.steps li { margin: 1px 0; }
.st-passed::marker { color: var(--pass); } .st-failed { color: var(--fail); font-weight: 600; }
.st-skipped { color: var(--skip); } .kw { font-weight: 600; }
.notes { color: var(--muted); margin: 4px 0; padding-left: 18px; }
.legend { color: var(--muted); font-size: 13px; }
@media print { details.sc { break-inside: avoid; } details.sc:not([open]) .sc-body { display: none; }
  .verdict, .badge { -webkit-print-color-adjust: exact; print-color-adjust: exact; } }
"""

_VERDICT_TEXT = {
    Outcome.PASS: ("Conformant", "Every scenario that ran passed."),
    Outcome.WARN: (
        "Conformant, with warnings",
        "No mandatory (SHALL) requirement failed; some recommended (SHOULD) behaviour is missing.",
    ),
    Outcome.FAIL: ("Not conformant", "At least one mandatory (SHALL) requirement failed. Details below."),
    Outcome.SKIP: ("Not judged", "No scenario could run against this target."),
}


def _badge(outcome: Outcome) -> str:
    return f'<span class="badge b-{outcome.value}">{outcome.value.upper()}</span>'


def _spec(anchors: list[str]) -> str:
    return "<br>".join(f"{escape(SPEC_SECTIONS.get(a, a))} <span class='sc-id'>[{escape(a)}]</span>" for a in anchors)


def _exchange(d: dict[str, Any]) -> str:
    ex = Exchange.from_dict(d)
    # already redacted when stored (if the run asked for it); render without a second pass
    return f"<pre>{escape(ex.render(redact=False))}</pre>"


def _finding(f: dict[str, Any], warn: bool) -> str:
    rows = []
    for key in ("expected", "actual"):
        if f.get(key):
            rows.append(f"<dt>{key}</dt><dd>{escape(str(f[key]))}</dd>")
    if f.get("spec"):
        rows.append(f"<dt>spec</dt><dd>{escape(SPEC_SECTIONS.get(f['spec'], f['spec']))} [{escape(f['spec'])}]</dd>")
    if f.get("check"):
        rows.append(f"<dt>check</dt><dd>{escape(f['check'])}</dd>")
    evidence = "".join(_exchange(e) for e in f.get("exchanges", []))
    return (
        f'<div class="finding{" warn" if warn else ""}"><strong>{escape(f.get("message", ""))}</strong>'
        f"<dl>{''.join(rows)}</dl>{evidence}</div>"
    )


def _scenario(s: ScenarioResult) -> str:
    reason = escape(s.message.splitlines()[0]) if s.message and s.outcome is not Outcome.PASS else ""
    parts = [
        f'<details class="sc" id="{escape(s.id)}"{" open" if s.outcome is Outcome.FAIL else ""}>',
        f"<summary>{_badge(s.outcome)} <span class='sc-title'>{escape(s.title)}"
        f"{f'<br><span class=reason>{reason}</span>' if reason else ''}</span>"
        f"<span class='level'>{s.level.value.upper()}</span> <span class='sc-id'>{escape(s.id)}</span></summary>",
        "<div class='sc-body'>",
    ]
    if s.description:
        parts.append(f"<p>{escape(s.description)}</p>")
    parts.append(f"<p><strong>Specification:</strong><br>{_spec(s.spec)}</p>")
    parts.append(
        f"<p class='sc-id'>{escape(s.feature_file)}:{s.line} · roles: {escape(', '.join(s.roles))}"
        f"{' · checklist ' + escape(', '.join(s.checklist)) if s.checklist else ''}"
        f" · {s.duration * 1000:.0f} ms</p>"
    )
    if s.steps:
        items = "".join(
            f"<li class='st-{escape(st.status)}'><span class='kw'>{escape(st.keyword)}</span> {escape(st.text)}"
            f"{' — ' + escape(st.status) if st.status != 'passed' else ''}</li>"
            for st in s.steps
        )
        parts.append(f"<ol class='steps'>{items}</ol>")
    if s.outcome is Outcome.SKIP:
        parts.append(f"<p><strong>Skipped:</strong> {escape(s.message)}</p>")
    if s.notes:
        parts.append("<ul class='notes'>" + "".join(f"<li>{escape(n)}</li>" for n in s.notes) + "</ul>")
    if s.findings:
        parts.append("<h3>Findings</h3>")
        parts += [_finding(f, s.outcome is Outcome.WARN) for f in s.findings]
    elif s.outcome in (Outcome.FAIL, Outcome.WARN) and s.details:
        parts.append(f"<h3>Failure</h3><pre>{escape(s.details)}</pre>")
    if s.exchanges:
        parts.append(
            f"<details><summary>All {len(s.exchanges)} exchange(s) of this scenario</summary>"
            + "".join(_exchange(e) for e in s.exchanges)
            + "</details>"
        )
    parts.append("</div></details>")
    return "".join(parts)


def _plan(run: RunResult) -> str:
    """What ran and what was skipped, and why, before anything else: a reader sees at once what the verdict covers."""
    groups = run.plan()
    if not groups:
        return ""
    rows = []
    for g in groups:
        links = ", ".join(f"<a href='#{escape(i)}'>{escape(i)}</a>" for i in g.scenarios)
        what = "Ran" if g.ran else f"Skipped: {escape(g.reason)}"
        rows.append(
            f"<tr><td class='num'>{len(g.scenarios)}</td><td>{what}<br><span class='sc-id'>{links}</span></td></tr>"
        )
    head = "<tr><th class='num'>Scenarios</th><th>What happened</th></tr>"
    return f"<h2 id='plan'>Plan</h2><table>{head}{''.join(rows)}</table>"


def _tally_table(title: str, first: str, tallies: list[Tally], explanation: str) -> str:
    if not tallies or all(t.label == ANY_PARTNER for t in tallies):
        return ""
    rows = "".join(
        f"<tr><td>{escape(t.label)}</td>"
        + "".join(f"<td class='num'>{t.counts[k]}</td>" for k in ("pass", "fail", "warn", "skip"))
        + f"<td>{_badge(t.verdict)}</td></tr>"
        for t in tallies
    )
    heads = "".join(f"<th class='num'>{h}</th>" for h in ("Pass", "Fail", "Warn", "Skip"))
    return (
        f"<h2>{escape(title)}</h2><p class='legend'>{escape(explanation)}</p>"
        f"<table><tr><th>{escape(first)}</th>{heads}<th>Verdict</th></tr>{rows}</table>"
    )


def html_report(run: RunResult) -> str:
    verdict = run.verdict()
    title, explanation = _VERDICT_TEXT[verdict]
    if verdict is Outcome.SKIP:
        explanation = (
            f"{run.nothing_judged()}. Nothing could be judged, so this run certifies nothing "
            f"(exit code {run.exit_code})."
        )
    c = run.counts()
    meta_rows = [
        ("Target", run.target_name),
        ("Versions URL", run.versions_url),
        ("Declared roles", ", ".join(run.target_roles)),
        ("Run", f"{run.started} to {run.finished} (UTC)"),
        (
            "Mode",
            "strict: SHOULD-level failures count as failures"
            if run.strict
            else "standard: SHOULD-level failures are warnings",
        ),
        ("Harness party", run.party),
        ("Harness callback peer", run.peer_url or "—"),
        ("OCPI version", run.version),
        (
            "Harness",
            f"ocpi-conformance {run.harness_version}; oracle: {DESCRIPTIONS.get(run.version, '?')} "
            f"(OCPI {run.version})",
        ),
    ]
    area_rows = "".join(
        f"<tr><td><a href='#area-{escape(a)}'>{escape(a)}</a></td>"
        + "".join(f"<td class='num'>{run.counts(a)[k]}</td>" for k in ("pass", "fail", "warn", "skip"))
        + f"<td>{_badge(run.verdict(a))}</td></tr>"
        for a in run.areas()
    )
    headline = ""
    causes = run.root_causes()
    if causes:
        items = "".join(
            f"<li>{_badge(c.outcome)} <a href='#{escape(c.scenario)}'>{escape(c.scenario)}</a> — "
            f"<span class='reason'>{escape(c.message.splitlines()[0] if c.message else '')}</span>"
            + (f"<br>endpoints ({len(c.endpoints)}): {escape(', '.join(c.endpoints))}" if c.endpoints else "")
            + (
                f"<br>explains {len(c.explains)} skipped scenario(s): {escape(', '.join(c.explains))}"
                if c.explains
                else ""
            )
            + "</li>"
            for c in causes
        )
        headline = f"<h2>Root causes</h2><ul>{items}</ul>"
    observations = ""
    if run.observations:
        observations = (
            "<h2>Observations</h2><ul>" + "".join(f"<li>{escape(o)}</li>" for o in run.observations) + "</ul>"
        )
    sections = []
    for area in run.areas():
        scenarios = [s for s in run.scenarios if s.area == area]
        sections.append(
            f"<h2 id='area-{escape(area)}'>{escape(area.capitalize())} "
            f"{_badge(run.verdict(area))}</h2>" + "".join(_scenario(s) for s in scenarios)
        )
    roles = _tally_table(
        "Verdict by role",
        "The harness played",
        run.by_role(),
        "As CPO: what the target does for a CPO (its eMSP or hub side); as EMSP: what it does for an eMSP (its CPO "
        "or hub side); both: hub routing between the harness's two identities; any partner: transport, versions, "
        "credentials and pagination.",
    )
    interfaces = _tally_table(
        "Verdict by module interface",
        "Target interface",
        run.by_interface(),
        "Each module interface of the target the scenarios exercised; a routing scenario counts for each interface it "
        "uses.",
    )
    data = escape(json.dumps(c))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>OCPI {escape(run.version)} conformance — {escape(run.target_name)}</title>
<style>{_CSS}</style></head>
<body><main data-counts="{data}">
<h1>OCPI {escape(run.version)} conformance report</h1>
<p class="sub">{escape(run.target_name)} · {escape(run.finished or run.started)}</p>
<div class="verdict v-{verdict.value}"><strong>{escape(title)}</strong>{escape(explanation)}
<br>{c["pass"]} passed · {c["fail"]} failed · {c["warn"]} warnings · {c["skip"]} skipped</div>
{_plan(run)}
{headline}
<table class="meta">{"".join(f"<tr><td>{escape(k)}</td><td>{escape(v)}</td></tr>" for k, v in meta_rows)}</table>
{roles}
{interfaces}
<h2>Summary by area</h2>
<table><tr><th>Area</th>{"".join(f"<th class='num'>{h}</th>" for h in ("Pass", "Fail", "Warn", "Skip"))}
<th>Verdict</th></tr>{area_rows}</table>
<p class="legend">SHALL: mandatory, a failure means non-conformance. SHOULD: recommended, a failure is a warning
(a failure under strict mode). MAY: optional, reported for information. Skipped scenarios need something the target
does not advertise or data it does not hold; the reason is given. Token values are redacted; their encoding and
length are shown.</p>
{observations}
{"".join(sections)}
<p class="legend">Generated by ocpi-conformance {escape(run.harness_version)}. Requirement texts are the project's own
summaries of OCPI {escape(run.version)}; section names refer to the official specification sources (tag
{"v2.3.0" if run.version == "2.3.0" else escape(run.version)}).</p>
</main></body></html>
"""


def html_index(runs: list[RunResult], not_certified: list[str]) -> str:
    """The page of a run of several versions: the verdict of each, with its root causes, linking to its own report
    (``<version>/report.html``)."""
    first = runs[0]
    rows = []
    for run in runs:
        title, _ = _VERDICT_TEXT[run.verdict()]
        c = run.counts()
        causes = "".join(
            f"<li>{_badge(cause.outcome)} {escape(cause.scenario)} — "
            f"<span class='reason'>{escape(cause.message.splitlines()[0] if cause.message else '')}</span></li>"
            for cause in run.root_causes()
        )
        rows.append(
            f"<h2>OCPI {escape(run.version)} {_badge(run.verdict())}</h2>"
            f"<p><strong>{escape(title)}</strong> · {c['pass']} passed · {c['fail']} failed · {c['warn']} warnings · "
            f"{c['skip']} skipped · <a href='{escape(run.version)}/report.html'>full report</a></p>"
            + (f"<h3>Root causes</h3><ul>{causes}</ul>" if causes else "")
        )
    others = (
        "<p class='legend'>Also offered by the target, not certified by this harness: "
        f"{escape(', '.join(not_certified))}</p>"
        if not_certified
        else ""
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>OCPI conformance — {escape(first.target_name)}</title>
<style>{_CSS}</style></head>
<body><main>
<h1>OCPI conformance report</h1>
<p class="sub">{escape(first.target_name)} · {escape(first.versions_url)} · each version certified in its own pass</p>
{"".join(rows)}
{others}
<p class="legend">Generated by ocpi-conformance {escape(first.harness_version)}.</p>
</main></body></html>
"""
