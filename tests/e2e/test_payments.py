"""Payments (2.3.0) through a real hub between real party processes: a payment terminal provider (NL/PTP, role
OTHER: the Role enum has no PTP), a CPO (NL/CPO) and an eMSP (DE/MSP). Terminals are created at the CPO, assigned
back to the PTP, activated and deactivated; the PTP's START_SESSION with an authorization_reference flows as a
command; its FinancialAdviceConfirmation reaches the CPO of that session; the hub keeps its copy and serves it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.test_commands import ENV, results_at
from tests.e2e.test_objects import Platform, V, ok, refused, register
from tests.e2e.test_routing import received
from tests.support import examples as ex
from tests.support.processes import HubProcess, PartyProcess

pytestmark = pytest.mark.e2e

T1 = {
    "terminal_id": "T1",
    "country_code": "NL",
    "party_id": "CPO",
    "reference": "SN-1",
    "last_updated": "2026-01-01T00:00:00Z",
}
FAC = {
    "id": "FAC-1",
    "authorization_reference": "PAY-REF-1",
    "total_costs": {"before_taxes": 4.0, "taxes": [{"name": "VAT", "amount": 0.4, "percentage": 10.0}]},
    "currency": "EUR",
    "eft_data": ["VISA", "**** 1234"],
    "capture_status_code": "SUCCESS",
    "last_updated": "2026-01-01T01:00:00Z",
}


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    hub = HubProcess(tmp_path_factory.mktemp("payments") / "hub.db", env=ENV).start()
    parties = {
        "cpo": PartyProcess("NL", "CPO").start(),
        "ptp": PartyProcess("NL", "PTP", "--role", "OTHER").start(),
        "msp": PartyProcess("DE", "MSP", "--role", "EMSP").start(),
    }
    try:
        found: dict[str, Any] = {"hub": hub, "parties": parties}
        for name, p in parties.items():
            found[name] = Platform(hub, p.country, p.party, register(hub, p), p)
        ok(found["cpo"].call("PUT", "/receiver/locations/NL/CPO/LOC-P1", ex.location("NL", "CPO", "LOC-P1")), 201)
        yield found
    finally:
        for p in parties.values():
            p.stop()
        hub.stop()


def test_version_details_list_both_payments_interfaces(net: dict[str, Any]) -> None:
    hub, ptp = net["hub"], net["ptp"]
    details = httpx.get(f"{hub.base_url}{V}", headers=ptp.headers(to=None)).json()["data"]["endpoints"]
    advertised = {(e["identifier"], e["role"]): e["url"] for e in details}
    assert advertised[("payments", "SENDER")] == f"{hub.base_url}{V}/sender/payments"
    assert advertised[("payments", "RECEIVER")] == f"{hub.base_url}{V}/receiver/payments"


def test_terminal_created_at_the_cpo_assigned_and_served_from_the_hub_copy(net: dict[str, Any]) -> None:
    ptp, cpo, msp, parties = net["ptp"], net["cpo"], net["msp"], net["parties"]
    # the terminal names its CPO: no OCPI-to needed
    ok(ptp.call("POST", "/receiver/payments/terminals", T1, headers=ptp.headers(to=None)))
    [got] = received(
        parties["cpo"], lambda r: r["method"] == "POST" and r["path"] == f"{V}/receiver/payments/terminals"
    )
    assert got["body"] == T1
    assert (got["headers"]["ocpi-from-party-id"], got["headers"]["ocpi-to-party-id"]) == ("PTP", "CPO")

    assert ok(ptp.call("GET", "/receiver/payments/terminals/T1", headers=ptp.headers(to=None)))["data"] == T1
    listed = ok(cpo.call("GET", "/sender/payments/terminals", headers=cpo.headers()))
    assert listed["data"] == [T1]
    assert ok(msp.call("GET", "/sender/payments/terminals", headers=msp.headers()))["data"] == []
    refused(msp.call("GET", "/sender/payments/terminals/T1", headers=msp.headers()), 2000, 404)

    # the CPO assigns a location: to the PTP that owns the terminal, and the hub's copy follows
    patch = {"location_ids": ["LOC-P1"], "last_updated": "2026-01-02T00:00:00Z"}
    ok(cpo.call("PATCH", "/sender/payments/terminals/T1", patch, headers=cpo.headers(to=None)))
    [got] = received(
        parties["ptp"], lambda r: r["method"] == "PATCH" and r["path"] == f"{V}/sender/payments/terminals/T1"
    )
    assert got["body"] == patch and got["headers"]["ocpi-to-party-id"] == "PTP"
    copy = ok(cpo.call("GET", "/sender/payments/terminals/T1", headers=cpo.headers()))["data"]
    assert copy["location_ids"] == ["LOC-P1"] and copy["last_updated"] == "2026-01-02T00:00:00Z"

    # deactivation goes to the owner; activation (no terminal yet) needs OCPI-to
    ok(cpo.call("POST", "/sender/payments/terminals/T1/deactivate", headers=cpo.headers(to=None)))
    assert received(parties["ptp"], lambda r: r["path"] == f"{V}/sender/payments/terminals/T1/deactivate")
    activate = {"terminal_id": "", "reference": "SN-2", "last_updated": "2026-01-03T00:00:00Z"}
    assert "OCPI-to" in refused(
        cpo.call("POST", "/sender/payments/terminals/activate", activate, headers=cpo.headers(to=None)), 2000
    )
    ok(cpo.call("POST", "/sender/payments/terminals/activate", activate, headers=cpo.headers(to=("NL", "PTP"))))
    [got] = received(parties["ptp"], lambda r: r["path"] == f"{V}/sender/payments/terminals/activate")
    assert got["body"] == activate


def test_ptp_start_session_flows_as_a_command_and_its_confirmation_reaches_the_cpo(net: dict[str, Any]) -> None:
    ptp, cpo, parties = net["ptp"], net["cpo"], net["parties"]
    parties["cpo"].control("set", {"results": {"START_SESSION": {"body": {"result": "ACCEPTED"}, "delay": 0.1}}})
    mine = f"{parties['ptp'].base_url}{V}/sender/commands/START_SESSION/pay-1"
    command = {
        "response_url": mine,
        "token": {**ex.token("NL", "PTP", "AD-HOC-1", type_="AD_HOC_USER"), "whitelist": "NEVER"},
        "location_id": "LOC-P1",
        "evse_uid": "3256",
        "authorization_reference": "PAY-REF-1",
    }
    ok(ptp.call("POST", "/receiver/commands/START_SESSION", command, headers=ptp.headers(to=None)))
    [forwarded] = received(parties["cpo"], lambda r: r["path"] == f"{V}/receiver/commands/START_SESSION")
    assert forwarded["body"]["authorization_reference"] == "PAY-REF-1"
    [result] = results_at(parties["ptp"], mine)
    assert result["body"] == {"result": "ACCEPTED"} and result["headers"]["ocpi-to-party-id"] == "PTP"

    # the confirmation names the authorization_reference of that command: it goes to the same CPO
    ok(ptp.call("POST", "/receiver/payments/financial-advice-confirmations", FAC, headers=ptp.headers(to=None)))
    path = f"{V}/receiver/payments/financial-advice-confirmations"
    [got] = received(parties["cpo"], lambda r: r["method"] == "POST" and r["path"] == path)
    assert got["body"] == FAC and got["headers"]["ocpi-from-party-id"] == "PTP"
    assert ok(cpo.call("GET", "/sender/payments/financial-advice-confirmations", headers=cpo.headers()))["data"] == [
        FAC
    ]
    one = cpo.call("GET", "/sender/payments/financial-advice-confirmations/FAC-1", headers=cpo.headers())
    assert ok(one)["data"] == FAC
