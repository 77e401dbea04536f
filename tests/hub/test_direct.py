"""Direct routing (``OCPI-to-*`` names a connected party), per module and method: what goes out, what comes back,
what the hub keeps.

A forwarded request goes to the receiver's endpoint for the same module and interface with the path rebuilt from the
checked ids, a new ``X-Request-ID``, the requester's ``X-Correlation-ID``, ``OCPI-to-*`` = the receiver and
``OCPI-from-*`` = the requester, the hub's token for the receiver, and the body byte for byte; the receiver's answer
comes back as it came, with TO and FROM swapped. Nothing is planned in the outbox.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

from reference_hub.hub.tokens import authorization_header
from reference_hub.ocpi.models import Role
from tests.hub.inprocess import HUB_BASE, OPS, Hub, Party, V, World, ocpi
from tests.support import examples as ex

pytestmark = pytest.mark.anyio

T1 = {"terminal_id": "T1", "country_code": "NL", "party_id": "CPO", "last_updated": "2026-01-01T00:00:00Z"}
FAC = {
    "id": "FAC-1",
    "authorization_reference": "PAY-REF-1",
    "total_costs": {"before_taxes": 4.0},
    "currency": "EUR",
    "eft_data": ["VISA"],
    "capture_status_code": "SUCCESS",
    "last_updated": "2026-01-01T01:00:00Z",
}
PROFILE = {"charging_rate_unit": "W", "charging_profile_period": [{"start_period": 0, "limit": 11000.0}]}


def unusual(body: Any) -> bytes:
    """``body`` as JSON no encoder of ours would write (spaces, sorted keys, a field no model has): a forward must pass
    these exact bytes on."""
    if isinstance(body, dict):
        body = {**body, "x_vendor_extension": {"kept": True}}
    return json.dumps(body, sort_keys=True, separators=(" , ", " : ")).encode()


# (operation, who sends, to whom, path ids, query, body)
CASES: list[tuple[str, str, str, tuple[str, ...], str, Any]] = [
    ("locationsReceiverGetLocation", "cpo", "msp", ("NL", "CPO", "LOC1"), "", None),
    ("locationsReceiverPutLocation", "cpo", "msp", ("NL", "CPO", "LOC1"), "", ex.location("NL", "CPO", "LOC1")),
    (
        "locationsReceiverPatchLocation",
        "cpo",
        "msp",
        ("NL", "CPO", "LOC1"),
        "",
        {"name": "Gent Noord", "last_updated": "2021-01-01T00:00:00Z"},
    ),
    ("locationsReceiverGetEvse", "cpo", "msp", ("NL", "CPO", "LOC1", "3256"), "", None),
    ("locationsReceiverPutEvse", "cpo", "msp", ("NL", "CPO", "LOC1", "3256"), "", ex.evse("3256")),
    (
        "locationsReceiverPatchEvse",
        "cpo",
        "msp",
        ("NL", "CPO", "LOC1", "3256"),
        "",
        {"status": "CHARGING", "last_updated": "2021-01-01T00:00:00Z"},
    ),
    ("locationsReceiverGetConnector", "cpo", "msp", ("NL", "CPO", "LOC1", "3256", "1"), "", None),
    ("locationsReceiverPutConnector", "cpo", "msp", ("NL", "CPO", "LOC1", "3256", "1"), "", ex.connector("1")),
    (
        "locationsReceiverPatchConnector",
        "cpo",
        "msp",
        ("NL", "CPO", "LOC1", "3256", "1"),
        "",
        {"max_amperage": 32, "last_updated": "2021-01-01T00:00:00Z"},
    ),
    ("tariffsReceiverGetTariff", "cpo", "msp", ("NL", "CPO", "12"), "", None),
    ("tariffsReceiverPutTariff", "cpo", "msp", ("NL", "CPO", "12"), "", ex.tariff("NL", "CPO", "12")),
    ("tariffsReceiverDeleteTariff", "cpo", "msp", ("NL", "CPO", "12"), "", None),
    ("sessionsReceiverGetSession", "cpo", "msp", ("NL", "CPO", "S1"), "", None),
    ("sessionsReceiverPutSession", "cpo", "msp", ("NL", "CPO", "S1"), "", ex.session("NL", "CPO", "DE", "MSP", "S1")),
    (
        "sessionsReceiverPatchSession",
        "cpo",
        "msp",
        ("NL", "CPO", "S1"),
        "",
        {"kwh": 3.5, "last_updated": "2021-01-01T00:00:00Z"},
    ),
    ("cdrsReceiverPostCdr", "cpo", "msp", (), "", ex.cdr("NL", "CPO", "DE", "MSP", "C1")),
    ("tokensReceiverGetToken", "msp", "cpo", ("DE", "MSP", "TOK1"), "type=APP_USER", None),
    (
        "tokensReceiverPutToken",
        "msp",
        "cpo",
        ("DE", "MSP", "TOK1"),
        "type=APP_USER",
        ex.token("DE", "MSP", "TOK1", type_="APP_USER"),
    ),
    (
        "tokensReceiverPatchToken",
        "msp",
        "cpo",
        ("DE", "MSP", "TOK1"),
        "type=APP_USER",
        {"valid": False, "last_updated": "2021-01-01T00:00:00Z"},
    ),
    ("locationsSenderGetList", "msp", "cpo", (), "date_from=2021-01-01T00:00:00Z&offset=4&limit=2", None),
    ("locationsSenderGetLocation", "msp", "cpo", ("LOC1",), "", None),
    ("locationsSenderGetEvse", "msp", "cpo", ("LOC1", "3256"), "", None),
    ("locationsSenderGetConnector", "msp", "cpo", ("LOC1", "3256", "1"), "", None),
    ("tariffsSenderGetList", "msp", "cpo", (), "limit=10", None),
    ("sessionsSenderGetList", "msp", "cpo", (), "date_from=2021-01-01T00:00:00Z", None),
    ("cdrsSenderGetList", "msp", "cpo", (), "", None),
    (
        "sessionsSenderPutChargingPreferences",
        "msp",
        "cpo",
        ("S1",),
        "",
        {"profile_type": "FAST", "departure_time": "2030-01-01T10:00:00Z", "energy_need": 20.0},
    ),
    ("tokensSenderGetList", "cpo", "msp", (), "offset=0", None),
    ("tokensSenderPostAuthorize", "cpo", "msp", ("TOK1",), "type=APP_USER", {"location_id": "LOC1"}),
    (
        "chargingprofilesSenderPutActiveProfile",
        "cpo",
        "msp",
        ("S1",),
        "",
        {"start_date_time": "2026-01-01T10:00:00Z", "charging_profile": PROFILE},
    ),
    ("paymentsReceiverPostTerminal", "ptp", "cpo", (), "", T1),
    ("paymentsReceiverGetTerminal", "ptp", "cpo", ("T1",), "", None),
    ("paymentsReceiverPostFinancialAdviceConfirmation", "ptp", "cpo", (), "", FAC),
    ("paymentsReceiverGetFinancialAdviceConfirmation", "ptp", "cpo", ("FAC-1",), "", None),
    ("paymentsSenderGetTerminals", "cpo", "ptp", (), "limit=5", None),
    ("paymentsSenderGetTerminal", "cpo", "ptp", ("T1",), "", None),
    ("paymentsSenderActivateTerminal", "cpo", "ptp", (), "", {**T1, "terminal_id": ""}),
    ("paymentsSenderPutTerminal", "cpo", "ptp", ("T1",), "", T1),
    (
        "paymentsSenderPatchTerminal",
        "cpo",
        "ptp",
        ("T1",),
        "",
        {"location_ids": ["LOC1"], "last_updated": T1["last_updated"]},
    ),
    ("paymentsSenderDeactivateTerminal", "cpo", "ptp", ("T1",), "", None),
    ("paymentsSenderGetFinancialAdviceConfirmations", "cpo", "ptp", (), "", None),
    ("paymentsSenderGetFinancialAdviceConfirmation", "cpo", "ptp", ("FAC-1",), "", None),
]


def suffix_of(op_id: str, ids: tuple[str, ...]) -> str:
    suffix = OPS[op_id].suffix
    for value in ids:
        suffix = suffix[: suffix.index("{")] + value + suffix[suffix.index("}") + 1 :]
    return suffix


def party(world: World, name: str) -> Party:
    found: Party = getattr(world, name)
    return found


@pytest.mark.parametrize(("op_id", "sender", "receiver", "ids", "query", "body"), CASES, ids=[c[0] for c in CASES])
async def test_a_direct_request_reaches_the_party_named_as_sent_and_its_answer_comes_back(
    world: World, op_id: str, sender: str, receiver: str, ids: tuple[str, ...], query: str, body: Any
) -> None:
    hub = world.hub
    source, target = party(world, sender), party(world, receiver)
    op = OPS[op_id]
    sent = None if body is None else unusual(body)
    url = target.url(op.interface or "", op.module, suffix_of(op_id, ids)) + (f"?{query}" if query else "")
    hub.client.answer(op.method, url, ocpi({"answered": "by the receiver"}, http=201 if op.method == "POST" else 200))

    answer = await hub.send(
        op_id, source, *ids, to=target, body=sent, query=query, correlation_id="corr-1", request_id="req-1"
    )

    [call] = hub.client.calls
    assert (call.method, call.url) == (op.method, url)
    assert call.header("OCPI-to-country-code") == target.cc and call.header("OCPI-to-party-id") == target.pid
    assert call.header("OCPI-from-country-code") == source.cc and call.header("OCPI-from-party-id") == source.pid
    assert call.header("X-Correlation-ID") == "corr-1"
    assert call.header("X-Request-ID") not in (None, "", "req-1", "corr-1")
    assert call.header("Authorization") == authorization_header(target.outgoing)
    assert call.body == sent  # byte for byte: last_updated and every unknown field untouched
    assert call.sender == source.partner_id  # counted against the sending platform's forwards

    assert answer.relayed, answer
    assert (answer.http_status, answer.status_code) == (201 if op.method == "POST" else 200, 1000)
    assert answer.data == {"answered": "by the receiver"}
    assert (answer.headers["OCPI-to-country-code"], answer.headers["OCPI-to-party-id"]) == (source.cc, source.pid)
    assert (answer.headers["OCPI-from-country-code"], answer.headers["OCPI-from-party-id"]) == (target.cc, target.pid)
    assert await hub.outbox() == []  # a direct request is never broadcast


async def test_every_operation_that_can_be_addressed_to_a_party_is_in_the_table() -> None:
    """Each operation a party may address to another (and the hub forwards as it came) is checked above; the rest are
    the hub's own (CDR copies, result URLs), the configuration modules, or forwarded with the hub's response_url
    (tests/hub/test_callbacks.py)."""
    own = {"cdrsReceiverGetCdr", "commandsSenderPostCommandResult", "chargingprofilesSenderPostResult"}
    with_response_url = {op for op in OPS if op.startswith(("commandsReceiver", "chargingprofilesReceiver"))}
    unserved = {op.operation_id for op in OPS.values() if op.module in ("invoicereconciliation", "bookings")}
    functional = {
        op.operation_id
        for op in OPS.values()
        if op.interface is not None and op.module not in ("hubclientinfo", "versions", "credentials")
    }
    assert functional - own - with_response_url - unserved == {c[0] for c in CASES}


async def test_a_write_the_receiver_took_is_kept_in_the_hubs_copy_and_one_it_refused_is_not(world: World) -> None:
    hub, cpo, msp = world.hub, world.cpo, world.msp
    url = msp.url("RECEIVER", "sessions", "/NL/CPO/")
    hub.client.answer("PUT", url + "S-NO", ocpi(status_code=2001))
    refused = await hub.send(
        "sessionsReceiverPutSession",
        cpo,
        "NL",
        "CPO",
        "S-NO",
        to=msp,
        body=ex.session("NL", "CPO", "DE", "MSP", "S-NO"),
    )
    assert (refused.http_status, refused.status_code, refused.relayed) == (200, 2001, True)  # the eMSP's own word
    assert await hub.stored("sessions", "NL/CPO", "S-NO") is None

    session = ex.session("NL", "CPO", "DE", "MSP", "S-YES")
    taken = await hub.send("sessionsReceiverPutSession", cpo, "NL", "CPO", "S-YES", to=msp, body=session)
    assert taken.status_code == 1000
    assert await hub.stored("sessions", "NL/CPO", "S-YES") == session

    patch = {"kwh": 9.5, "last_updated": "2015-06-29T23:00:00Z"}
    await hub.send("sessionsReceiverPatchSession", cpo, "NL", "CPO", "S-YES", to=msp, body=patch)
    assert (await hub.stored("sessions", "NL/CPO", "S-YES"))["kwh"] == 9.5

    # a PATCH of an object the hub never received: the receiver's word stands, the copy stays absent
    answer = await hub.send("sessionsReceiverPatchSession", cpo, "NL", "CPO", "S-ELSEWHERE", to=msp, body=patch)
    assert (answer.status_code, answer.relayed) == (1000, True)
    assert await hub.stored("sessions", "NL/CPO", "S-ELSEWHERE") is None

    tariff = ex.tariff("NL", "CPO", "T-DIRECT")
    await hub.send("tariffsReceiverPutTariff", cpo, "NL", "CPO", "T-DIRECT", to=msp, body=tariff)
    assert await hub.stored("tariffs", "NL/CPO", "T-DIRECT") == tariff
    await hub.send("tariffsReceiverDeleteTariff", cpo, "NL", "CPO", "T-DIRECT", to=msp)
    assert await hub.stored("tariffs", "NL/CPO", "T-DIRECT") is None
    assert await hub.outbox() == []


async def test_a_direct_cdr_gets_the_hubs_location_and_the_receivers_is_dropped(world: World) -> None:
    hub, cpo, msp = world.hub, world.cpo, world.msp
    cdr = ex.cdr("NL", "CPO", "DE", "MSP", "C-DIRECT")
    theirs = ("Location", "https://msp.de.party.test/ocpi/2.3.0/receiver/cdrs/their-own-id")
    hub.client.answer("POST", msp.url("RECEIVER", "cdrs"), ocpi(http=201, headers=[theirs]))
    answer = await hub.send("cdrsReceiverPostCdr", cpo, to=msp, body=unusual(cdr))
    assert (answer.http_status, answer.status_code) == (201, 1000)
    assert answer.headers["Location"] == f"{HUB_BASE}{V}/receiver/cdrs/NL.CPO.C-DIRECT"
    assert await hub.stored("cdrs", "NL/CPO", "C-DIRECT") == cdr


async def test_a_relayed_next_page_link_leads_through_the_hub(world: World) -> None:
    hub, cpo, msp = world.hub, world.cpo, world.msp
    base = cpo.url("SENDER", "locations")
    link = ("Link", f'<{base}?offset=2&limit=2&date_from=2021-01-01T00:00:00Z>; rel="next"')
    hub.client.answer("GET", base, ocpi([], headers=[link, ("X-Total-Count", "5"), ("X-Limit", "2")]))
    answer = await hub.send("locationsSenderGetList", msp, to=cpo, query="limit=2")
    assert (
        answer.headers["Link"]
        == f'<{HUB_BASE}{V}/sender/locations?offset=2&limit=2&date_from=2021-01-01T00:00:00Z>; rel="next"'
    )
    assert (answer.headers["X-Total-Count"], answer.headers["X-Limit"]) == ("5", "2")

    # a Link outside the receiver's endpoint cannot be followed through the hub: it is dropped
    hub.client.answer("GET", base, ocpi([], headers=[("Link", '<https://elsewhere.test/steal>; rel="next"')]))
    answer = await hub.send("locationsSenderGetList", msp, to=cpo, query="limit=2")
    assert "Link" not in answer.headers


async def test_the_hub_presents_a_raw_token_to_a_platform_that_uses_raw_tokens(hub: Hub) -> None:
    cpo = await hub.register("NL", "CPO")
    legacy = await hub.register("DE", "OLD", Role.EMSP, raw_token=True)
    await hub.send("sessionsReceiverGetSession", cpo, "NL", "CPO", "S1", to=legacy)
    [call] = hub.client.calls
    assert call.header("Authorization") == f"Token {legacy.outgoing}"


async def test_the_hubs_own_party_named_in_to_is_the_hub(world: World) -> None:
    hub, cpo = world.hub, world.cpo
    session = msgspec.json.encode(ex.session("NL", "CPO", "XX", "NOP", "S-HUB"))
    answer = await hub.send("sessionsReceiverPutSession", cpo, "NL", "CPO", "S-HUB", to=("nl", "hub"), body=session)
    assert (answer.http_status, answer.status_code, answer.relayed) == (201, 1000, False)
    assert hub.client.calls == []
