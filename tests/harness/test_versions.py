"""Every version a target offers, each certified in its own pass: against real reference-hub processes (which serve
2.3.0 and 2.2.1 side by side) and a loopback platform that offers only 2.1.1.

The passes, their registrations and their reports are what a user sees: ``ocpi-conformance run`` in its own process,
its exit code, its terminal output and the reports it writes.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from conformance.plan import NEEDS, Need
from tests.harness.hubrun import HarnessRun, run_harness, two_identities, write_target

pytestmark = pytest.mark.e2e

CARRIED = "moved that registration to 2.2.1 by a credentials PUT"
"""How a 2.2.1 pass after a 2.3.0 one says why the token-A scenarios are judged in the 2.3.0 pass."""


def _inbound(run: HarnessRun, method: str, path_part: str) -> list[dict]:
    return [
        e
        for s in run.results["scenarios"]
        for e in s["exchanges"]
        if e["direction"] == "inbound" and e["method"] == method and path_part in e["url"]
    ]


def _outbound(run: HarnessRun, method: str, path_part: str) -> list[dict]:
    return [
        e
        for s in run.results["scenarios"]
        for e in s["exchanges"]
        if e["direction"] == "outbound" and e["method"] == method and path_part in e["url"]
    ]


@pytest.mark.slow
def test_both_versions_are_certified_each_in_its_own_pass(hub_factory, tmp_path: Path) -> None:
    """Without [run] versions the harness certifies every version the hub offers that it knows, highest first; the
    2.2.1 pass moves each identity's registration to 2.2.1 (a credentials PUT at the hub's 2.2.1 endpoint, with a peer
    that offers 2.2.1 alone), and unregistering is judged in that last pass."""
    hub = hub_factory((), name="both")
    target = write_target(tmp_path / "both" / "target.toml", hub, **two_identities(hub), versions=None)
    run = run_harness(target, timeout=300)
    assert run.returncode == 0, run.stdout[-4000:]
    assert run.results["versions"] == ["2.3.0", "2.2.1"]
    assert run.results["verdicts"] == {"2.3.0": "pass", "2.2.1": "pass"}, run.stdout[-4000:]
    assert run.results["root_causes"] == {"2.3.0": [], "2.2.1": []}
    assert run.stdout.index("OCPI 2.3.0 conformance") < run.stdout.index("OCPI 2.2.1 conformance")
    verdicts = run.stdout.split("verdict per version:", 1)[1]
    assert "OCPI 2.3.0: CONFORMANT" in verdicts and "OCPI 2.2.1: CONFORMANT" in verdicts
    v230, v221 = run.version("2.3.0"), run.version("2.2.1")
    for one in (v230, v221):
        applicable = {i: o for i, o in one.outcomes().items() if i not in one.not_for_target()}
        assert set(applicable.values()) <= {"pass", "skip"}, one.stdout
    # each pass judged its own version's rules
    assert v230.results["version"] == "2.3.0" and v221.results["version"] == "2.2.1"
    assert "credentials.hub-party-id" in v230.having("pass") and "credentials.hub-party-id" not in v221.outcomes()
    assert "credentials.hub-role" in v221.having("pass") and "credentials.hub-role" not in v230.outcomes()
    assert "transport.unknown-fields-accepted" not in v221.outcomes()
    # the 2.3.0 pass registered by POST and handed its registrations over; the 2.2.1 pass moved them by PUT
    assert _outbound(v230, "POST", "/ocpi/2.3.0/credentials")
    unregistered = [e for e in _outbound(v230, "DELETE", "/credentials") if 200 <= (e["status"] or 0) < 300]
    assert not unregistered, "the 2.3.0 pass must leave its registrations to the 2.2.1 pass"
    assert v230.scenario("credentials.delete")["message"].startswith("this pass hands its registration over")
    assert v221.having("pass") >= {"credentials.delete", "credentials.deleted-token-retired", "credentials.get"}
    for sid in ("credentials.registration", "credentials.token-a-retired"):
        assert CARRIED in v221.scenario(sid)["message"], sid
    # the 2.2.1 pass's peer offered 2.2.1 alone: the hub fetched its versions and 2.2.1 details, nothing of 2.3.0
    fetched = _inbound(v221, "GET", "/ocpi/")
    assert fetched and not [e for e in fetched if "/ocpi/2.3.0" in e["url"]], [e["url"] for e in fetched]
    assert any(e["url"].endswith("/ocpi/2.2.1") for e in fetched)
    # every format gives the verdict per version: the summary beside each version's own reports
    for version in ("2.3.0", "2.2.1"):
        assert (run.report_dir / version / "report.html").exists()
    junit = ET.parse(run.report_dir / "junit.xml").getroot()  # noqa: S314 - our own report
    names = {suite.get("name", "").split(" ", 1)[0] for suite in junit}
    assert names == {"2.3.0", "2.2.1"} and junit.get("failures") == "0"
    cucumber = json.loads((run.report_dir / "cucumber.json").read_text())
    assert {f["name"].split("]", 1)[0] for f in cucumber} == {"[2.3.0", "[2.2.1"}
    index = (run.report_dir / "report.html").read_text()
    assert "OCPI 2.3.0" in index and "OCPI 2.2.1" in index and "2.2.1/report.html" in index
    assert "OCPI 2.2.1 conformance report" in (run.report_dir / "2.2.1" / "report.html").read_text()


def test_a_221_pass_on_its_own_registers_at_221_and_passes(hub_factory, tmp_path: Path) -> None:
    """run --version 2.2.1: one pass, a POST registration at the hub's 2.2.1 credentials endpoint with 2.2.1
    Credentials; every scenario that applies to a hub passes, the hub's HUB role and HubClientInfo included."""
    hub = hub_factory((), name="only-221-pass")
    target = write_target(tmp_path / "only-221-pass" / "target.toml", hub, **two_identities(hub), versions=None)
    run = run_harness(target, "--version", "2.2.1")
    assert run.returncode == 0, run.stdout
    assert run.results["version"] == "2.2.1"
    applicable = {i: o for i, o in run.outcomes().items() if i not in run.not_for_target()}
    assert {o for o in applicable.values()} == {"pass"}, {i: o for i, o in applicable.items() if o != "pass"}
    assert run.having("pass") >= {
        "credentials.registration",
        "credentials.hub-role",
        "credentials.no-hub-party-id",
        "versions.v221-core-modules",
        "pagination.v221-no-later-fields",
        "routing.clientinfo-pushed",
        "tokens.authorize-location-references",
        "commands.result-delivered",
        "chargingprofiles.results-delivered",
    }
    [registration] = _outbound(run, "POST", "/credentials")[:1]
    assert "/ocpi/2.2.1/credentials" in registration["url"]
    assert "hub_party_id" not in json.loads(registration["request_body"])
    assert "OCPI 2.2.1 conformance" in run.stdout and "OCPI 2.3.0 conformance" not in run.stdout


@pytest.mark.parametrize("mode", ["--read-only", "--no-broadcast"])
def test_read_only_and_no_broadcast_hold_at_221(hub_factory, tmp_path: Path, mode: str) -> None:
    hub = hub_factory((), name=f"v221{mode}")
    target = write_target(
        tmp_path / f"v221{mode}" / "target.toml",
        hub,
        **two_identities(hub),
        versions=("2.2.1",),
    )
    run = run_harness(target, mode)
    assert run.returncode == 0, run.stdout
    assert not run.having("fail") and not run.having("warn"), run.stdout
    skipped = run.having("skip") - run.not_for_target()
    if mode == "--read-only":
        held_back = {sid for sid, needs in NEEDS.items() if any(getattr(n, "writes", False) for n in needs)}
        held_back |= {sid for sid, needs in NEEDS.items() if Need.DESTRUCTIVE in needs}
        prefix = "read-only run: "
        writes = [e for e in _outbound(run, "PUT", "/ocpi/2.2.1/") if "/credentials" not in e["url"]]
        assert not writes, [e["url"] for e in writes]
    else:
        held_back = {sid for sid, needs in NEEDS.items() if Need.BROADCAST in needs}
        prefix = "no-broadcast run: "
        assert skipped == held_back, skipped ^ held_back
    held_back = (held_back & set(run.outcomes())) - run.not_for_target()  # 2.3.0-only scenarios are not in the pass
    assert held_back and held_back <= skipped, held_back - skipped
    for sid in held_back:
        assert run.scenario(sid)["message"].startswith(prefix), (sid, run.scenario(sid)["message"])


class _Only211(BaseHTTPRequestHandler):
    """A platform that speaks only OCPI 2.1.1 (its versions list names nothing else)."""

    def do_GET(self) -> None:
        host, port = self.server.server_address[:2]
        body = {"status_code": 1000, "timestamp": "2026-01-01T00:00:00Z", "data": []}
        if self.path.rstrip("/") == "/ocpi/versions":
            body["data"] = [{"version": "2.1.1", "url": f"http://{host}:{port}/ocpi/2.1.1"}]
        raw = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def only_211() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Only211)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/ocpi/versions"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_a_211_only_target_is_nothing_judged_saying_so(only_211: str, tmp_path: Path) -> None:
    target = tmp_path / "target.toml"
    target.write_text(f'versions_url = "{only_211}"\ntoken = "abc"\n[report]\ndir = "report"\n', encoding="utf-8")
    run = run_harness(target)
    assert run.returncode == 3, run.stdout
    assert "nothing judged (exit code 3): the target offers 2.1.1" in run.stdout, run.stdout
    assert "2.3.0 and 2.2.1" in run.stdout
