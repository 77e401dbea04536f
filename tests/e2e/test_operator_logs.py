"""What a real hub process logs for an operator: one line per registration (both directions), rotation,
unregistration, suspension, reactivation and delivery given up, in one format (plain by default, JSON with a setting),
and never a token."""

from __future__ import annotations

import base64
import json
import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.test_objects import Platform, ok, register
from tests.support import examples as ex
from tests.support.processes import HubProcess, PartyProcess

pytestmark = pytest.mark.e2e

ADMIN_KEY = "operator-logs-admin-key-9f2c"
PLAIN_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ (DEBUG|INFO|WARNING|ERROR|CRITICAL) [\w.]+: ")


def _wait_for(log: Path, text: str, timeout: float = 15) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        content = log.read_text()
        if text in content:
            return content
        time.sleep(0.2)
    raise AssertionError(f"{text!r} not logged within {timeout}s:\n{log.read_text()}")


def _dashboard_action(client: httpx.Client, partner_id: str, action: str) -> None:
    """What an operator's browser does: sign in with the key, then press the party's button."""
    if not client.cookies:
        form = client.get("/admin/signin")
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert csrf, form.text[:300]
        signed = client.post("/admin/signin", data={"csrf": csrf.group(1), "key": ADMIN_KEY}, follow_redirects=False)
        assert signed.status_code == 303, signed.text[:300]
    page = client.get("/admin/parties")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf, page.text[:300]
    done = client.post(f"/admin/parties/{partner_id}/{action}", data={"csrf": csrf.group(1)}, follow_redirects=False)
    assert done.status_code == 303, done.text[:500]


def _secrets(*values: str) -> list[str]:
    """Each secret as sent and as it appears base64-encoded in an Authorization header."""
    found = []
    for value in values:
        if value:
            found += [value, base64.b64encode(value.encode()).decode()]
    return found


def test_every_operator_event_is_one_json_line_and_no_token_is_logged(tmp_path: Path) -> None:
    env = {
        "OCPI_HUB_LOG_FORMAT": "json",
        "OCPI_HUB_ADMIN_KEY": ADMIN_KEY,
        "OCPI_HUB_DELIVERY_POLL": "0.2",
        "OCPI_HUB_DELIVERY_BACKOFF": "0.1",
        "OCPI_HUB_DELIVERY_RETRIES": "1",
    }
    hub = HubProcess(tmp_path / "hub.db", env=env).start()
    cpo_party = PartyProcess("NL", "CPO").start()
    msp_party = PartyProcess("DE", "MSP", "--role", "EMSP").start()
    other = PartyProcess("FR", "OTH", "--role", "EMSP").start()
    secrets: list[str] = [ADMIN_KEY]
    try:
        token_a = hub.invite()
        secrets += _secrets(token_a)
        answer = cpo_party.control("register", {"versions_url": hub.versions_url, "token": token_a})
        assert answer["body"]["status_code"] == 1000, answer
        cpo = Platform(hub, "NL", "CPO", cpo_party.state()["token_c"])
        register(hub, msp_party)
        _wait_for(hub.log, "partner DE-MSP registered (party-initiated, OCPI 2.3.0)")

        # a broadcast the eMSP cannot take: the hub gives it up after its retry
        msp_party.http.post("/control/set", json={"down": True})
        ok(cpo.call("PUT", "/receiver/locations/NL/CPO/LOG1", ex.location("NL", "CPO", "LOG1")), 201)
        _wait_for(hub.log, "to DE-MSP given up after")
        msp_party.http.post("/control/set", json={"down": False})

        # the operator suspends and reactivates the eMSP in the dashboard
        with httpx.Client(base_url=hub.base_url, timeout=30) as browser:
            _dashboard_action(browser, "DE-MSP", "suspend")
            _dashboard_action(browser, "DE-MSP", "reactivate")

        # hub-initiated registration through the admin API
        invitation = other.control("invite")
        secrets += _secrets(invitation["token"])
        registered = httpx.post(
            f"{hub.base_url}/admin/registrations",
            headers={"X-Admin-Key": ADMIN_KEY},
            json={"versions_url": invitation["versions_url"], "token": invitation["token"]},
            timeout=30,
        )
        assert registered.status_code == 201, registered.text

        assert cpo_party.control("rotate")["body"]["status_code"] == 1000
        assert cpo_party.control("unregister")["body"]["status_code"] == 1000
        content = _wait_for(hub.log, "partner NL-CPO unregistered itself")
        for party in (cpo_party, msp_party, other):
            state: dict[str, Any] = party.state()
            secrets += _secrets(state.get("token_b") or "", state.get("token_c") or "")
            posted = state.get("posted") or []
            secrets += _secrets(*[p.get("token", "") for p in posted if isinstance(p, dict)])
    finally:
        for process in (cpo_party, msp_party, other):
            process.stop()
        hub.stop()

    content = hub.log.read_text()
    records = []
    for line in content.splitlines():
        assert line.startswith("{"), f"not a JSON log line: {line!r}"
        records.append(json.loads(line))
    assert all({"time", "level", "logger", "message"} <= set(r) for r in records)
    messages = [r["message"] for r in records]

    def one(pattern: str) -> None:
        matching = [m for m in messages if re.search(pattern, m)]
        assert len(matching) == 1, (pattern, matching)

    one(
        r"^partner NL-CPO registered \(party-initiated, OCPI 2\.3\.0\): CPO NL/CPO from http://127\.0\.0\.1:\d+/ocpi/versions$"
    )
    one(r"^partner DE-MSP registered \(party-initiated, OCPI 2\.3\.0\): EMSP DE/MSP")
    one(r"^partner FR-OTH registered \(hub-initiated, OCPI 2\.3\.0\): EMSP FR/OTH")
    one(r"^partner NL-CPO rotated its credentials")
    one(r"^partner NL-CPO unregistered itself")
    one(r"^partner DE-MSP suspended by the operator$")
    one(r"^partner DE-MSP reactivated by the operator$")
    one(r"^delivery \S+ to DE-MSP given up after 2 attempt\(s\) \(transport failures\)")
    leaked = [s for s in set(secrets) if s in content]
    assert not leaked, f"{len(leaked)} secret(s) in the hub's log"
    assert len(set(secrets)) >= 10  # the check above looked for real tokens


def test_the_default_log_format_is_plain_lines(tmp_path: Path) -> None:
    hub = HubProcess(tmp_path / "hub.db").start()
    party = PartyProcess("NL", "PLN").start()
    try:
        register(hub, party)
        content = _wait_for(hub.log, "partner NL-PLN registered")
    finally:
        party.stop()
        hub.stop()
    lines = [line for line in content.splitlines() if line.strip()]
    assert lines and all(PLAIN_LINE.match(line) for line in lines), [x for x in lines if not PLAIN_LINE.match(x)]
    # the server's own lines share the format
    assert any(" _granian: Listening at: " in line for line in lines)
