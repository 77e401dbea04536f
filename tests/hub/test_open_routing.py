"""Open routing (no ``OCPI-to-*``): the hub sends a request where its content points, or answers it itself.

A Session or CDR goes to the eMSP of its ``cdr_token``, a real-time authorization to the eMSP whose token it is,
charging preferences to the CPO of the session, a payment Terminal to the CPO it names, a FinancialAdviceConfirmation
to the CPO that took the START_SESSION it settles, and a CPO's change to a terminal to the PTP that owns it. (Commands
and charging profiles: tests/hub/test_callbacks.py.)
"""

from __future__ import annotations

import pytest

from reference_hub.hub.tokens import authorization_header
from tests.hub.inprocess import HUB_BASE, Party, V, World, ocpi
from tests.hub.test_direct import FAC, T1, unusual
from tests.support import examples as ex

pytestmark = pytest.mark.anyio


def forwarded_to(call_headers: dict[str, str | None], to: Party, sender: Party) -> bool:
    return (
        call_headers["to"] == f"{to.cc}/{to.pid}"
        and call_headers["from"] == f"{sender.cc}/{sender.pid}"
        and call_headers["auth"] == authorization_header(to.outgoing)
    )


def routing_of(call: object) -> dict[str, str | None]:
    header = call.header  # type: ignore[attr-defined]
    return {
        "to": f"{header('OCPI-to-country-code')}/{header('OCPI-to-party-id')}",
        "from": f"{header('OCPI-from-country-code')}/{header('OCPI-from-party-id')}",
        "auth": header("Authorization"),
    }


async def test_a_session_goes_to_the_emsp_of_its_cdr_token(world: World) -> None:
    hub, cpo, oth = world.hub, world.cpo, world.oth
    session = unusual(ex.session("NL", "CPO", "DE", "OTH", "S-OPEN"))
    hub.client.answer("PUT", oth.url("RECEIVER", "sessions"), ocpi(http=201))
    answer = await hub.send("sessionsReceiverPutSession", cpo, "NL", "CPO", "S-OPEN", to=None, body=session)
    assert (answer.http_status, answer.status_code, answer.relayed) == (201, 1000, True)
    assert (answer.headers["OCPI-to-party-id"], answer.headers["OCPI-from-party-id"]) == ("CPO", "OTH")
    [call] = hub.client.calls
    assert call.url == oth.url("RECEIVER", "sessions", "/NL/CPO/S-OPEN") and call.body == session
    assert forwarded_to(routing_of(call), oth, cpo)
    assert (await hub.stored("sessions", "NL/CPO", "S-OPEN"))["id"] == "S-OPEN"  # and kept

    # a PATCH follows the session's eMSP, known from the hub's copy
    patch = {"kwh": 2.0, "last_updated": "2015-06-29T23:00:00Z"}
    await hub.send("sessionsReceiverPatchSession", cpo, "NL", "CPO", "S-OPEN", to=None, body=patch)
    assert [c.method for c in hub.client.to(oth.base)] == ["PUT", "PATCH"]
    assert hub.client.to(world.msp.base) == []
    assert await hub.outbox() == []


async def test_a_session_whose_emsp_is_not_connected_is_kept_and_answered_by_the_hub(world: World) -> None:
    hub, cpo = world.hub, world.cpo
    session = ex.session("NL", "CPO", "XX", "NOP", "S-NOBODY")
    answer = await hub.send("sessionsReceiverPutSession", cpo, "NL", "CPO", "S-NOBODY", to=None, body=session)
    assert (answer.http_status, answer.status_code, answer.relayed) == (201, 1000, False)
    assert hub.client.calls == []
    assert await hub.stored("sessions", "NL/CPO", "S-NOBODY") == session


async def test_a_cdr_goes_to_the_emsp_of_its_cdr_token_with_the_hubs_location(world: World) -> None:
    hub, cpo, msp = world.hub, world.cpo, world.msp
    cdr = unusual(ex.cdr("NL", "CPO", "DE", "MSP", "C-OPEN"))
    hub.client.answer("POST", msp.url("RECEIVER", "cdrs"), ocpi(http=201, headers=[("Location", "https://x.test/c/1")]))
    answer = await hub.send("cdrsReceiverPostCdr", cpo, to=None, body=cdr)
    assert (answer.http_status, answer.status_code, answer.relayed) == (201, 1000, True)
    assert answer.headers["Location"] == f"{HUB_BASE}{V}/receiver/cdrs/NL.CPO.C-OPEN"
    [call] = hub.client.calls
    assert (call.method, call.url, call.body) == ("POST", msp.url("RECEIVER", "cdrs"), cdr)
    assert forwarded_to(routing_of(call), msp, cpo)

    # its eMSP not connected: kept, answered by the hub with the URL of its copy
    alone = await hub.send("cdrsReceiverPostCdr", cpo, to=None, body=ex.cdr("NL", "CPO", "XX", "NOP", "C-ALONE"))
    assert (alone.http_status, alone.status_code, alone.relayed) == (201, 1000, False)
    assert alone.headers["Location"] == f"{HUB_BASE}{V}/receiver/cdrs/NL.CPO.C-ALONE"
    assert len(hub.client.calls) == 1


async def test_an_authorization_goes_to_the_eMSP_whose_token_it_is(world: World) -> None:
    hub, cpo, msp, oth = world.hub, world.cpo, world.msp, world.oth
    await hub.send("tokensReceiverPutToken", msp, "DE", "MSP", "TOK1", body=ex.token("DE", "MSP", "TOK1"))
    app_user = ex.token("DE", "OTH", "TOK1", type_="APP_USER")
    await hub.send("tokensReceiverPutToken", oth, "DE", "OTH", "TOK1", query="type=APP_USER", body=app_user)
    hub.client.answer("POST", msp.url("SENDER", "tokens"), ocpi({"allowed": "ALLOWED", "token": ex.token("DE", "MSP")}))
    hub.client.answer("POST", oth.url("SENDER", "tokens"), ocpi({"allowed": "BLOCKED", "token": app_user}))

    rfid = await hub.send("tokensSenderPostAuthorize", cpo, "TOK1", to=None, body={"location_id": "LOC1"})
    assert (rfid.status_code, rfid.data["allowed"], rfid.relayed) == (1000, "ALLOWED", True)
    app = await hub.send("tokensSenderPostAuthorize", cpo, "TOK1", to=None, query="type=APP_USER")
    assert (app.status_code, app.data["allowed"]) == (1000, "BLOCKED")
    [to_msp] = hub.client.to(msp.base, "POST")
    [to_oth] = hub.client.to(oth.base, "POST")
    assert to_msp.url == msp.url("SENDER", "tokens", "/TOK1/authorize") and to_msp.body == b'{"location_id":"LOC1"}'
    assert to_oth.url == oth.url("SENDER", "tokens", "/TOK1/authorize?type=APP_USER") and to_oth.body is None
    assert forwarded_to(routing_of(to_msp), msp, cpo) and forwarded_to(routing_of(to_oth), oth, cpo)


async def test_an_authorization_the_hub_cannot_place_is_refused_before_anything_is_sent(world: World) -> None:
    hub, cpo, msp, oth = world.hub, world.cpo, world.msp, world.oth
    before = len(hub.client.calls)
    unknown = await hub.send("tokensSenderPostAuthorize", cpo, "NOBODY", to=None)
    assert (unknown.http_status, unknown.status_code, unknown.data) == (404, 2004, None)
    await hub.send("tokensReceiverPutToken", msp, "DE", "MSP", "SHARED", body=ex.token("DE", "MSP", "SHARED"))
    await hub.send("tokensReceiverPutToken", oth, "DE", "OTH", "SHARED", body=ex.token("DE", "OTH", "SHARED"))
    both = await hub.send("tokensSenderPostAuthorize", cpo, "SHARED", to=None)
    assert (both.status_code, both.http_status) == (2000, 200)
    assert "DE/MSP" in (both.message or "") and "OCPI-to" in (both.message or "")
    assert len(hub.client.calls) == before


async def test_charging_preferences_go_to_the_cpo_of_the_session_its_emsp_may_see(world: World) -> None:
    hub, cpo, msp, oth = world.hub, world.cpo, world.msp, world.oth
    await hub.send(
        "sessionsReceiverPutSession", cpo, "NL", "CPO", "S-PREF", body=ex.session("NL", "CPO", "DE", "MSP", "S-PREF")
    )
    prefs = unusual({"profile_type": "FAST", "departure_time": "2030-01-01T10:00:00Z", "energy_need": 20.0})
    hub.client.answer("PUT", cpo.url("SENDER", "sessions"), ocpi("ACCEPTED"))
    answer = await hub.send("sessionsSenderPutChargingPreferences", msp, "S-PREF", to=None, body=prefs)
    assert (answer.status_code, answer.data, answer.relayed) == (1000, "ACCEPTED", True)
    [call] = hub.client.to(cpo.base)
    assert call.url == cpo.url("SENDER", "sessions", "/S-PREF/charging_preferences") and call.body == prefs
    assert forwarded_to(routing_of(call), cpo, msp)

    hidden = await hub.send("sessionsSenderPutChargingPreferences", oth, "S-PREF", to=None, body=prefs)
    assert (hidden.http_status, hidden.status_code) == (404, 2000)  # another eMSP's session is not there for it
    assert len(hub.client.to(cpo.base)) == 1


async def test_a_terminal_goes_to_the_cpo_it_names_and_changes_to_it_go_to_its_ptp(world: World) -> None:
    hub, cpo, ptp = world.hub, world.cpo, world.ptp
    terminal = unusual(T1)
    posted = await hub.send("paymentsReceiverPostTerminal", ptp, to=None, body=terminal)
    assert (posted.status_code, posted.relayed) == (1000, True)
    [call] = hub.client.calls
    assert (call.url, call.body) == (cpo.url("RECEIVER", "payments", "/terminals"), terminal)
    assert forwarded_to(routing_of(call), cpo, ptp)
    assert await hub.stored("payments.terminals", "NL/PTP", "T1") == T1

    patch = {"location_ids": ["LOC1"], "last_updated": "2026-01-02T00:00:00Z"}
    changed = await hub.send("paymentsSenderPatchTerminal", cpo, "T1", to=None, body=patch)
    assert (changed.status_code, changed.relayed) == (1000, True)
    call = hub.client.calls[-1]
    assert (call.method, call.url) == ("PATCH", ptp.url("SENDER", "payments", "/terminals/T1"))
    assert forwarded_to(routing_of(call), ptp, cpo)
    copy = await hub.stored("payments.terminals", "NL/PTP", "T1")
    assert copy["location_ids"] == ["LOC1"] and copy["last_updated"] == "2026-01-02T00:00:00Z"

    await hub.send("paymentsSenderDeactivateTerminal", cpo, "T1", to=None)
    assert hub.client.calls[-1].url == ptp.url("SENDER", "payments", "/terminals/T1/deactivate")

    # activation names no terminal the hub knows: only OCPI-to-* can say which PTP
    activate = {"terminal_id": "", "reference": "SN-2", "last_updated": "2026-01-03T00:00:00Z"}
    calls = len(hub.client.calls)
    nowhere = await hub.send("paymentsSenderActivateTerminal", cpo, to=None, body=activate)
    assert nowhere.status_code == 2000 and "OCPI-to" in (nowhere.message or "")
    assert len(hub.client.calls) == calls


async def test_a_terminal_naming_no_connected_cpo_is_kept_and_answered_by_the_hub(world: World) -> None:
    hub, ptp = world.hub, world.ptp
    answer = await hub.send("paymentsReceiverPostTerminal", ptp, to=None, body={**T1, "party_id": "NOP"})
    assert (answer.http_status, answer.status_code, answer.relayed) == (200, 1000, False)
    assert hub.client.calls == []
    assert (await hub.stored("payments.terminals", "NL/PTP", "T1"))["party_id"] == "NOP"


async def test_a_confirmation_goes_to_the_cpo_that_took_the_start_session_it_settles(world: World) -> None:
    hub, cpo, ptp = world.hub, world.cpo, world.ptp
    await hub.send("locationsReceiverPutLocation", cpo, "NL", "CPO", "LOC1", body=ex.location("NL", "CPO", "LOC1"))
    hub.client.answer("POST", cpo.url("RECEIVER", "commands"), ocpi({"result": "ACCEPTED", "timeout": 30}))
    command = {
        "response_url": f"{ptp.base}/sender/commands/START_SESSION/1",
        "token": ex.token("NL", "PTP", "AD-HOC", type_="AD_HOC_USER"),
        "location_id": "LOC1",
        "authorization_reference": "PAY-REF-1",
    }
    started = await hub.send("commandsReceiverPostCommand", ptp, "START_SESSION", to=None, body=command)
    assert started.status_code == 1000
    confirmation = unusual(FAC)
    answer = await hub.send("paymentsReceiverPostFinancialAdviceConfirmation", ptp, to=None, body=confirmation)
    assert (answer.status_code, answer.relayed) == (1000, True)
    call = hub.client.calls[-1]
    assert (call.url, call.body) == (cpo.url("RECEIVER", "payments", "/financial-advice-confirmations"), confirmation)
    assert forwarded_to(routing_of(call), cpo, ptp)
    listed = await hub.send("paymentsSenderGetFinancialAdviceConfirmations", cpo)
    assert listed.data == [FAC]  # the CPO it went to reads the hub's copy


async def test_a_single_object_held_for_several_parties_needs_a_receiver_named(world: World) -> None:
    hub, cpo = world.hub, world.cpo
    cpo2 = await hub.register("BE", "CP2")
    await hub.send("locationsReceiverPutLocation", cpo, "NL", "CPO", "SAME", body=ex.location("NL", "CPO", "SAME"))
    await hub.send("locationsReceiverPutLocation", cpo2, "BE", "CP2", "SAME", body=ex.location("BE", "CP2", "SAME"))
    answer = await hub.send("locationsSenderGetLocation", world.msp, "SAME", to=None)
    assert answer.status_code == 2000 and "NL/CPO" in (answer.message or "") and "BE/CP2" in (answer.message or "")
