"""Report writers on a hand-made run: the same verdicts in every format, and safe HTML."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from conformance.model import Exchange, Level, Outcome, RunResult, ScenarioResult, StepResult
from conformance.report import cucumber_json, html_report, junit_xml, load_results, summary_text, write_reports


def _scenario(
    sid: str, outcome: Outcome, level: Level = Level.SHALL, area: str = "transport", message: str = ""
) -> ScenarioResult:
    exchange = Exchange(
        direction="outbound",
        method="GET",
        url="http://127.0.0.1:1/ocpi/versions",
        request_headers=[("Authorization", "Token dG9rZW4=")],
        status=200,
        response_headers=[("Content-Type", "application/json")],
        response_body='{"status_code": 1000, "timestamp": "2025-02-21T10:00:00+00:00"}',
    )
    steps = [
        StepResult("Given", "the harness is registered with the target", "passed", 0.01),
        StepResult(
            "Then",
            "every envelope timestamp is an OCPI DateTime",
            "failed" if outcome in (Outcome.FAIL, Outcome.WARN) else "passed",
            0.01,
        ),
    ]
    if outcome is Outcome.SKIP:
        steps = [StepResult("Given", "the target advertises at least one paginated Sender endpoint", "skipped")]
    findings = []
    if outcome in (Outcome.FAIL, Outcome.WARN):
        findings = [
            {
                "message": message,
                "check": "timestamp_format",
                "spec": "types.datetime",
                "expected": "Z form",
                "actual": "+00:00",
                "exchanges": [exchange.to_dict()],
            }
        ]
    return ScenarioResult(
        id=sid,
        title=f"title of {sid}",
        area=area,
        feature="A feature",
        feature_file=f"features/{area}/x.feature",
        level=level,
        spec=["types.datetime"],
        roles=["any"],
        outcome=outcome,
        message=message,
        details=f"details of {sid}: {message}",
        findings=findings,
        exchanges=[exchange.to_dict()],
        steps=steps,
        duration=0.02,
        line=7,
    )


@pytest.fixture
def run() -> RunResult:
    return RunResult(
        target_name="Example <CPO>",
        versions_url="http://127.0.0.1:1/ocpi/versions",
        started="2025-02-21T10:00:00Z",
        finished="2025-02-21T10:00:05Z",
        harness_version="0.1.0",
        party="NL/CTH (EMSP)",
        target_roles=["CPO"],
        observations=["the target also accepts an unencoded token"],
        scenarios=[
            _scenario("transport.a", Outcome.PASS),
            _scenario("transport.b", Outcome.FAIL, message="timestamp <script>alert(1)</script>"),
            _scenario("credentials.c", Outcome.WARN, Level.SHOULD, area="credentials", message="old token works"),
            _scenario("pagination.d", Outcome.SKIP, area="pagination", message="no paginated Sender endpoint"),
        ],
    )


def test_verdicts_and_exit_code(run: RunResult) -> None:
    assert run.verdict() is Outcome.FAIL and run.exit_code == 1
    assert run.verdict("credentials") is Outcome.WARN
    assert run.verdict("pagination") is Outcome.SKIP
    assert run.counts() == {"pass": 1, "fail": 1, "warn": 1, "skip": 1}
    run.scenarios = [s for s in run.scenarios if s.outcome is not Outcome.FAIL]
    assert run.exit_code == 0


def test_junit_counts_failures_and_skips_and_keeps_warnings_as_output(run: RunResult) -> None:
    root = ET.fromstring(junit_xml(run))  # noqa: S314 - our own report
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == ("4", "1", "1")
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == {"transport", "credentials", "pagination"}
    failed = suites["transport"].find("testcase[failure]")
    assert failed is not None and "transport.b" in failed.get("name")
    warn_case = suites["credentials"].find("testcase")
    assert warn_case.find("failure") is None and "WARNING" in warn_case.find("system-out").text
    assert suites["pagination"].find("testcase/skipped").get("message") == "no paginated Sender endpoint"


def test_cucumber_json_statuses(run: RunResult) -> None:
    features = cucumber_json(run)
    by_id = {el["id"]: el for f in features for el in f["elements"]}
    assert [s["result"]["status"] for s in by_id["transport.b"]["steps"]] == ["passed", "failed"]
    assert [s["result"]["status"] for s in by_id["credentials.c"]["steps"]] == ["passed", "pending"]
    assert by_id["pagination.d"]["steps"][0]["result"]["status"] == "skipped"
    assert {"name": "@shall", "line": 6} in by_id["transport.b"]["tags"]
    json.dumps(features)


def test_html_report_is_self_contained_and_escaped(run: RunResult) -> None:
    html = html_report(run)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "Example &lt;CPO&gt;" in html
    assert "Not conformant" in html
    assert "http://" not in html.split("<style>")[1].split("</style>")[0]  # no external resources
    assert "<link " not in html and "src=" not in html
    assert "dG9rZW4=" not in html  # tokens redacted
    assert "Root causes" in html and "old token works" in html
    assert html.index("Root causes") < html.index("Summary by area")


def test_terminal_summary_groups_by_area(run: RunResult) -> None:
    text = summary_text(run)
    assert "FAIL transport.b [SHALL]" in text
    assert "WARN credentials.c [SHOULD]" in text
    assert "SKIP pagination.d [SHALL] no paginated Sender endpoint" in text
    assert text.splitlines()[-1].startswith("verdict: NOT CONFORMANT")


def test_write_and_reload(run: RunResult, tmp_path: Path) -> None:
    paths = write_reports(run, tmp_path / "new-dir")
    assert sorted(p.name for p in paths) == ["cucumber.json", "junit.xml", "report.html", "results.json"]
    again = load_results(tmp_path / "new-dir" / "results.json")
    assert again.counts() == run.counts() and again.scenarios[1].steps == run.scenarios[1].steps


def test_root_causes_lead_and_say_what_they_explain() -> None:
    reg = _scenario("credentials.registration", Outcome.FAIL, area="credentials", message="HTTP 422")
    reg.findings[0]["message"] = "credentials: the target refused the POST"
    reg.findings[0]["endpoint"] = "credentials"
    knock = [
        _scenario(f"pagination.{n}", Outcome.SKIP, area="pagination", message=f"skipped: registration failed — see {o}")
        for n, o in (("a", "credentials.registration"), ("b", "credentials.registration"))
    ]
    run = RunResult("t", "http://127.0.0.1:1/ocpi/versions", "2025-01-01T00:00:00Z", scenarios=[reg, *knock])
    (cause,) = run.root_causes()
    assert cause.scenario == "credentials.registration" and cause.explains == ["pagination.a", "pagination.b"]
    assert cause.endpoints == ["credentials"]
    lines = summary_text(run).splitlines()
    # the plan first (what ran, what was skipped and for which cause), then the causes
    assert lines[1] == "plan: 3 scenario(s): 1 ran, 2 skipped"
    assert lines[2].strip() == "2 skipped — knock-on of credentials.registration: pagination.a, pagination.b"
    assert lines[3].startswith("root causes")
    assert "FAIL credentials.registration (explains 2 skipped scenario(s))" in lines[4]
    assert run.exit_code == 1


def test_plan_and_verdicts_by_role_and_interface() -> None:
    """Skips are grouped by their shared reason; verdicts are given per role played and per target interface."""
    put = _scenario("locations.put", Outcome.PASS, area="locations")
    put.interfaces = ["as CPO: locations RECEIVER"]
    auth = _scenario("tokens.auth", Outcome.FAIL, area="tokens", message="HTTP 500")
    auth.interfaces = ["as CPO: tokens SENDER"]
    push = _scenario("routing.push", Outcome.PASS, area="routing")
    push.interfaces = ["as CPO: locations RECEIVER", "as EMSP: locations SENDER"]
    tok = _scenario("tokens.put", Outcome.SKIP, area="tokens", message="read-only run: this scenario writes tokens")
    tok.interfaces = ["as EMSP: tokens RECEIVER"]
    no_cpo = [
        _scenario(
            f"cdrs.{n}",
            Outcome.SKIP,
            area="cdrs",
            message="target.toml gives no CPO identity for the harness to play "
            '(add an [[identities]] table with role = "CPO")',
        )
        for n in ("a", "b")
    ]
    for s in no_cpo:
        s.interfaces = ["as CPO: cdrs RECEIVER"]
    run = RunResult(
        "t",
        "http://127.0.0.1:1/ocpi/versions",
        "2025-01-01T00:00:00Z",
        scenarios=[_scenario("transport.a", Outcome.PASS), put, auth, push, tok, *no_cpo],
    )
    plan = run.plan()
    assert [(g.ran, g.reason, g.scenarios) for g in plan] == [
        (True, "", ["transport.a", "locations.put", "tokens.auth", "routing.push"]),
        (False, "target.toml gives no CPO identity for the harness to play", ["cdrs.a", "cdrs.b"]),
        (False, "read-only run: this scenario writes tokens", ["tokens.put"]),
    ]
    roles = {t.label: (t.verdict, t.scenarios) for t in run.by_role()}
    assert roles == {
        "as CPO": (Outcome.FAIL, ["locations.put", "tokens.auth", "cdrs.a", "cdrs.b"]),
        "as CPO and EMSP": (Outcome.PASS, ["routing.push"]),
        "as EMSP": (Outcome.SKIP, ["tokens.put"]),
        "any partner": (Outcome.PASS, ["transport.a"]),
    }
    assert [t.label for t in run.by_role()][-1] == "any partner"
    interfaces = {t.label: t.verdict for t in run.by_interface()}
    assert interfaces["locations RECEIVER"] is Outcome.PASS and interfaces["tokens SENDER"] is Outcome.FAIL
    assert interfaces["locations SENDER"] is Outcome.PASS and interfaces["tokens RECEIVER"] is Outcome.SKIP
    text = summary_text(run)
    assert text.index("plan: 7 scenario(s): 4 ran, 3 skipped") < text.index("root causes")
    assert "verdicts by role the harness played:" in text and "verdicts by interface:" in text
    html = html_report(run)
    assert html.index("<h2 id='plan'>Plan</h2>") < html.index("Root causes") < html.index("Verdict by role")
    assert "Verdict by module interface" in html and "Skipped: read-only run" in html


def test_nothing_judged_is_exit_code_3_with_the_reason() -> None:
    skips = [
        _scenario(f"versions.{n}", Outcome.SKIP, area="versions", message="skipped: no 2.3.0 — see versions.list")
        for n in ("a", "b")
    ]
    run = RunResult("t", "http://127.0.0.1:1/ocpi/versions", "2025-01-01T00:00:00Z", scenarios=skips)
    assert run.exit_code == 3
    assert run.nothing_judged() == "every scenario was skipped; 2 of them because of versions.list"
    assert "NOTHING JUDGED — every scenario was skipped; 2 of them because of versions.list" in summary_text(run)
    assert "certifies nothing" in html_report(run)


def test_a_cause_that_is_not_the_targets_is_named_as_such_and_judges_nothing() -> None:
    """Scenarios skipped as "not judged" (no answer, a refused configured token) lead the banner with that cause; the
    run exits 3 and the summary lists no failure, only the plan and the verdict."""
    from conformance.model import NOT_JUDGED_PREFIX

    why = "the target could not be reached: nothing answers at 127.0.0.1:9 (connection refused)"
    skips = [
        _scenario(f"transport.{n}", Outcome.SKIP, area="transport", message=NOT_JUDGED_PREFIX + why) for n in "abc"
    ]
    run = RunResult("t", "http://127.0.0.1:9/ocpi/versions", "2025-01-01T00:00:00Z", scenarios=skips)
    assert run.exit_code == 3 and run.nothing_judged() == f"every scenario was skipped; {why}"
    text = summary_text(run)
    assert text.splitlines()[-1] == f"verdict: NOTHING JUDGED — every scenario was skipped; {why} (exit code 3)"
    assert "FAIL" not in text and "verdicts by" not in text


def test_a_run_of_two_versions_gives_the_verdict_of_each_in_every_format(run: RunResult, tmp_path: Path) -> None:
    """One RunResult per version: the summary beside them names each version's verdict and root causes, and no
    version's scenario is counted under the other."""
    from dataclasses import replace

    from conformance.report import write_combined

    clean = replace(run, version="2.2.1", scenarios=[_scenario("transport.a", Outcome.PASS)])
    written = {p.name: p for p in write_combined([run, clean], tmp_path, not_certified=["2.1.1"])}
    results = json.loads(written["results.json"].read_text())
    assert results["versions"] == ["2.3.0", "2.2.1"]
    assert results["verdicts"] == {"2.3.0": "fail", "2.2.1": "pass"}
    assert results["exit_codes"] == {"2.3.0": 1, "2.2.1": 0}
    assert [c["scenario"] for c in results["root_causes"]["2.3.0"]] == ["transport.b", "credentials.c"]
    assert results["root_causes"]["2.2.1"] == [] and results["not_certified"] == ["2.1.1"]
    assert [RunResult.from_dict(p).version for p in results["passes"]] == ["2.3.0", "2.2.1"]
    root = ET.fromstring(written["junit.xml"].read_text())  # noqa: S314 - our own report
    assert root.get("tests") == "5" and root.get("failures") == "1"
    failing = {s.get("name") for s in root if s.get("failures") != "0"}
    assert failing == {"2.3.0 transport"}
    features = json.loads(written["cucumber.json"].read_text())
    assert sorted({f["name"].split("]", 1)[0] for f in features}) == ["[2.2.1", "[2.3.0"]
    page = written["report.html"].read_text()
    assert page.index("OCPI 2.3.0") < page.index("transport.b") < page.index("OCPI 2.2.1")
    assert "2.3.0/report.html" in page and "2.2.1/report.html" in page and "2.1.1" in page
    assert "<script>alert(1)</script>" not in page
