"""Each fault switch whose branch lives in the hub's routing and module rules (the front door, the generic engine, a
module file, the send, the outbox, the response URLs, the page request) does what its docstring says, and only when it
is on: every check below runs on a clean hub and on a hub with the switch, the same requests, two expectations.

The harness tests (tests/harness) show that each switch trips the scenarios that judge its rule at real processes;
these show the branch itself.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import msgspec
import pytest

from reference_hub.faults import Fault
from reference_hub.hub.callbacks import secret_id
from reference_hub.ocpi.datetime import DateTime, now
from reference_hub.ocpi.headers import RoutingHeaders
from reference_hub.ocpi.models import InterfaceRole, Role
from tests.hub import test_bookings as bookings
from tests.hub import test_invoicereconciliation as ir
from tests.hub.inprocess import HUB_BASE, HubFactory, V, World, ocpi, world_of
from tests.support import examples as ex

pytestmark = pytest.mark.anyio

Check = Callable[[World, bool], Awaitable[None]]
CHECKS: dict[Fault, Check] = {}


def check(fault: Fault) -> Callable[[Check], Check]:
    def register(fn: Check) -> Check:
        CHECKS[fault] = fn
        return fn

    return register


async def put_location(w: World, location_id: str = "LOC1", body: object = None) -> object:
    body = body if body is not None else ex.location("NL", "CPO", location_id)
    return await w.hub.send("locationsReceiverPutLocation", w.cpo, "NL", "CPO", location_id, body=body)


# --- the front door -------------------------------------------------------------------------------------------------


@check(Fault.NO_ROUTING_HEADERS)
async def _no_routing_headers(w: World, on: bool) -> None:
    routing = RoutingHeaders(from_country_code="NL", from_party_id="CPO")
    expected = [
        ("OCPI-to-country-code", "NL"),
        ("OCPI-to-party-id", "CPO"),
        ("OCPI-from-country-code", "NL"),
        ("OCPI-from-party-id", "HUB"),
    ]
    assert w.hub.ctx.frontdoor.reply_routing(routing) == (None if on else expected)
    # and the hub's acknowledgement of a command result on the requester's behalf
    await put_location(w)
    w.hub.client.answer("POST", w.cpo.url("RECEIVER", "commands"), ocpi({"result": "ACCEPTED", "timeout": 30}))
    body = {"response_url": f"{w.msp.base}/r", "location_id": "LOC1", "evse_uid": "1", "connector_id": "1"}
    await w.hub.send("commandsReceiverPostCommand", w.msp, "UNLOCK_CONNECTOR", to=w.cpo, body=body)
    secret = w.hub.client.calls[-1].json()["response_url"].rsplit("/", 1)[1]
    taken = await w.hub.send(
        "commandsSenderPostCommandResult", w.cpo, "UNLOCK_CONNECTOR", secret, body={"result": "ACCEPTED"}
    )
    assert taken.status_code == 1000 and (taken.reply.routing is None) == on


@check(Fault.SESSIONS_DATE_FROM_REQUIRED)
async def _sessions_date_from_required(w: World, on: bool) -> None:
    without = await w.hub.send("sessionsSenderGetList", w.msp)
    assert without.status_code == (2001 if on else 1000)
    assert (
        await w.hub.send("sessionsSenderGetList", w.msp, query="date_from=2020-01-01T00:00:00Z")
    ).status_code == 1000
    assert (await w.hub.send("cdrsSenderGetList", w.msp)).status_code == 1000  # the Sessions list only


@check(Fault.UNKNOWN_RECEIVER_AS_SUCCESS)
async def _unknown_receiver_as_success(w: World, on: bool) -> None:
    answer = await w.hub.send("locationsSenderGetList", w.msp, to=("XX", "NOP"))
    assert answer.status_code == (1000 if on else 4001)
    assert w.hub.client.calls == []


@check(Fault.WRONG_OWNER_ACCEPTED)
async def _wrong_owner_accepted(w: World, on: bool) -> None:
    speaking = await w.hub.send(
        "tariffsReceiverPutTariff",
        w.cpo,
        "NL",
        "CPO",
        "T1",
        body=ex.tariff("NL", "CPO", "T1"),
        speaking_for=("DE", "MSP"),
    )
    assert speaking.status_code == (1000 if on else 2000)
    under = await w.hub.send("tariffsReceiverPutTariff", w.cpo, "DE", "MSP", "T2", body=ex.tariff("DE", "MSP", "T2"))
    assert (under.http_status, under.status_code) == ((201, 1000) if on else (404, 2000))
    assert (await w.hub.stored("tariffs", "DE/MSP", "T2") is not None) == on


@check(Fault.ROLES_PER_INTERFACE)
async def _roles_per_interface(w: World, on: bool) -> None:
    await put_location(w)
    # the platform's eMSP party (the hub's party id with an E) is the hub itself, not an unknown receiver
    answer = await w.hub.send("locationsSenderGetList", w.msp, to=("NL", "HUE"))
    assert (answer.status_code, answer.relayed) == ((1000, False) if on else (4001, False))
    if on:
        assert [loc["id"] for loc in answer.data] == ["LOC1"]
    assert w.hub.client.calls == []


# --- the generic engine -----------------------------------------------------------------------------------------------


@check(Fault.CLOSED_ENUMS)
async def _closed_enums(w: World, on: bool) -> None:
    location = ex.location("NL", "CPO", "LOC1")
    location["evses"][0]["connectors"][0]["standard"] = "FUTURE_PLUG"
    answer = await put_location(w, body=location)
    assert answer.status_code == (2001 if on else 1000)  # type: ignore[attr-defined]
    assert (await w.hub.stored("locations", "NL/CPO", "LOC1") is None) == on
    token = await w.hub.send(
        "tokensReceiverPutToken", w.msp, "DE", "MSP", "T", body=ex.token("DE", "MSP", "T", type_="FUTURE")
    )
    assert token.status_code == (2001 if on else 1000)


@check(Fault.OPTIONAL_FIELDS_REQUIRED)
async def _optional_fields_required(w: World, on: bool) -> None:
    answer = await put_location(w)  # the example leaves out optional fields (state, directions, ...)
    assert (answer.http_status, answer.status_code) == ((422, 2001) if on else (201, 1000))  # type: ignore[attr-defined]
    assert ("field required" in (answer.message or "")) == on  # type: ignore[attr-defined]
    cdr = await w.hub.send("cdrsReceiverPostCdr", w.cpo, body=ex.cdr("NL", "CPO", "XX", "NOP", "C1"))
    assert (cdr.http_status, cdr.status_code) == ((422, 2001) if on else (201, 1000))
    assert (await w.hub.stored("cdrs", "NL/CPO", "C1") is None) == on


@check(Fault.ID_MISMATCH_ACCEPTED)
async def _id_mismatch_accepted(w: World, on: bool) -> None:
    answer = await put_location(w, "LOCX", ex.location("NL", "CPO", "SOMETHING-ELSE"))
    assert answer.status_code == (1000 if on else 2001)  # type: ignore[attr-defined]
    assert (await w.hub.stored("locations", "NL/CPO", "LOCX") is not None) == on  # kept under the URL's id


@check(Fault.INVALID_OBJECT_ACCEPTED)
async def _invalid_object_accepted(w: World, on: bool) -> None:
    location = {k: v for k, v in ex.location("NL", "CPO", "LOC1").items() if k != "city"}
    answer = await put_location(w, body=location)
    assert answer.status_code == (1000 if on else 2001)  # type: ignore[attr-defined]
    assert (await w.hub.stored("locations", "NL/CPO", "LOC1")) == (location if on else None)
    tariff = {k: v for k, v in ex.tariff("NL", "CPO", "T1").items() if k != "currency"}
    refused = await w.hub.send("tariffsReceiverPutTariff", w.cpo, "NL", "CPO", "T1", body=tariff)
    assert refused.status_code == 2001  # a Location only


@check(Fault.INVALID_OBJECT_HTTP_400)
async def _invalid_object_http_400(w: World, on: bool) -> None:
    answer = await put_location(w, body=ex.location("NL", "CPO", "LOC1") | {"publish": "yes"})
    assert (answer.http_status, answer.status_code) == ((400 if on else 200), 2001)  # type: ignore[attr-defined]


@check(Fault.PARENT_NOT_BUMPED)
async def _parent_not_bumped(w: World, on: bool) -> None:
    await put_location(w)
    patch = {"status": "CHARGING", "last_updated": "2020-01-01T00:00:00Z"}
    await w.hub.send("locationsReceiverPatchEvse", w.cpo, "NL", "CPO", "LOC1", "3256", body=patch)
    stored = await w.hub.stored("locations", "NL/CPO", "LOC1")
    assert stored["evses"][0]["last_updated"] == "2020-01-01T00:00:00Z"
    assert stored["last_updated"] == ("2015-06-29T20:39:09Z" if on else "2020-01-01T00:00:00Z")


@check(Fault.PATCH_WITHOUT_LAST_UPDATED)
async def _patch_without_last_updated(w: World, on: bool) -> None:
    await put_location(w)
    answer = await w.hub.send("locationsReceiverPatchLocation", w.cpo, "NL", "CPO", "LOC1", body={"name": "renamed"})
    assert answer.status_code == (1000 if on else 2001)
    stored = await w.hub.stored("locations", "NL/CPO", "LOC1")
    assert stored["name"] == ("renamed" if on else "Gent Zuid")
    assert (stored["last_updated"] != "2015-06-29T20:39:09Z") == on  # stamped by the hub when it took it


@check(Fault.SESSION_PATCH_REPLACES_PERIODS)
async def _session_patch_replaces_periods(w: World, on: bool) -> None:
    await w.hub.send(
        "sessionsReceiverPutSession", w.cpo, "NL", "CPO", "S1", body=ex.session("NL", "CPO", "XX", "NOP", "S1")
    )
    patch = {"charging_periods": [ex.period("2015-06-29T23:00:00Z", 1.0)], "last_updated": "2015-06-29T23:00:00Z"}
    await w.hub.send("sessionsReceiverPatchSession", w.cpo, "NL", "CPO", "S1", body=patch)
    assert len((await w.hub.stored("sessions", "NL/CPO", "S1"))["charging_periods"]) == (1 if on else 2)


@check(Fault.STRICT_MODULE_OBJECTS)
async def _strict_module_objects(w: World, on: bool) -> None:
    answer = await put_location(w, body=ex.location("NL", "CPO", "LOC1") | {"x_vendor_field": 1})
    assert answer.status_code == (2001 if on else 1000)  # type: ignore[attr-defined]
    assert ("x_vendor_field" in (answer.message or "")) == on  # type: ignore[attr-defined]


@check(Fault.SUBOBJECT_PUT_UNSUPPORTED)
async def _subobject_put_unsupported(w: World, on: bool) -> None:
    await put_location(w)
    answer = await w.hub.send("locationsReceiverPutEvse", w.cpo, "NL", "CPO", "LOC1", "4000", body=ex.evse("4000"))
    assert (answer.http_status, answer.status_code) == ((405, 2000) if on else (201, 1000))


@check(Fault.UNKNOWN_OBJECT_200)
async def _unknown_object_200(w: World, on: bool) -> None:
    answer = await w.hub.send("locationsReceiverGetLocation", w.cpo, "NL", "CPO", "NOPE")
    assert (answer.http_status, answer.status_code) == ((200 if on else 404), 2003)


@check(Fault.VISIBILITY_IGNORED)
async def _visibility_ignored(w: World, on: bool) -> None:
    await w.hub.send(
        "sessionsReceiverPutSession", w.cpo, "NL", "CPO", "S1", body=ex.session("NL", "CPO", "XX", "MSP", "S1")
    )
    seen = await w.hub.send("sessionsSenderGetList", w.oth)
    assert ([s["id"] for s in seen.data], seen.total) == ((["S1"], 1) if on else ([], 0))


# --- module files ---------------------------------------------------------------------------------------------------


async def _authorize(w: World, query: str = "") -> tuple[object, object]:
    await w.hub.send("tokensReceiverPutToken", w.msp, "DE", "MSP", "T1", body=ex.token("DE", "MSP", "T1"))
    await w.hub.send(
        "tokensReceiverPutToken",
        w.oth,
        "DE",
        "OTH",
        "T1",
        query="type=APP_USER",
        body=ex.token("DE", "OTH", "T1", type_="APP_USER"),
    )
    answer = await w.hub.send(
        "tokensSenderPostAuthorize", w.cpo, "T1", to=None, body={"location_id": "LOC1"}, query=query
    )
    return answer, w.hub.client.calls[-1]


@check(Fault.AUTHORIZE_BODY_DROPPED)
async def _authorize_body_dropped(w: World, on: bool) -> None:
    _answer, call = await _authorize(w)
    assert call.body == (None if on else b'{"location_id":"LOC1"}')  # type: ignore[attr-defined]


@check(Fault.AUTHORIZE_TYPE_IGNORED)
async def _authorize_type_ignored(w: World, on: bool) -> None:
    _answer, call = await _authorize(w, "type=APP_USER")
    wanted = (
        w.msp.url("SENDER", "tokens", "/T1/authorize")
        if on
        else w.oth.url("SENDER", "tokens", "/T1/authorize?type=APP_USER")
    )
    assert call.url == wanted  # type: ignore[attr-defined]


@check(Fault.BLOCKED_TOKEN_AS_ERROR)
async def _blocked_token_as_error(w: World, on: bool) -> None:
    w.hub.client.answer(
        "POST", w.msp.url("SENDER", "tokens"), ocpi({"allowed": "BLOCKED", "token": ex.token("DE", "MSP", "T1")})
    )
    answer, _call = await _authorize(w)
    assert (answer.http_status, answer.status_code) == ((403, 2000) if on else (200, 1000))  # type: ignore[attr-defined]
    w.hub.client.answer(
        "POST", w.msp.url("SENDER", "tokens"), ocpi({"allowed": "ALLOWED", "token": ex.token("DE", "MSP", "T1")})
    )
    allowed, _call = await _authorize(w)
    assert (allowed.http_status, allowed.status_code) == (200, 1000)  # type: ignore[attr-defined]


@check(Fault.CDR_NO_LOCATION_HEADER)
async def _cdr_no_location_header(w: World, on: bool) -> None:
    answer = await w.hub.send("cdrsReceiverPostCdr", w.cpo, body=ex.cdr("NL", "CPO", "XX", "NOP", "C1"))
    assert answer.status_code == 1000
    assert answer.headers.get("Location") == (None if on else f"{HUB_BASE}{V}/receiver/cdrs/NL.CPO.C1")


@check(Fault.CDR_OVERWRITTEN)
async def _cdr_overwritten(w: World, on: bool) -> None:
    cdr = ex.cdr("NL", "CPO", "XX", "NOP", "C1")
    await w.hub.send("cdrsReceiverPostCdr", w.cpo, body=cdr)
    again = await w.hub.send("cdrsReceiverPostCdr", w.cpo, body=cdr | {"total_energy": 1.0})
    assert again.status_code == (1000 if on else 2000)
    assert (await w.hub.stored("cdrs", "NL/CPO", "C1"))["total_energy"] == (1.0 if on else cdr["total_energy"])


# --- the send -------------------------------------------------------------------------------------------------------


async def _forwarded(w: World) -> tuple[object, object]:
    answer = await w.hub.send(
        "sessionsReceiverGetSession", w.cpo, "NL", "CPO", "S1", to=w.msp, correlation_id="corr-f", request_id="req-f"
    )
    return answer, w.hub.client.calls[-1]


@check(Fault.CORRELATION_ID_DROPPED)
async def _correlation_id_dropped(w: World, on: bool) -> None:
    _answer, call = await _forwarded(w)
    assert call.header("X-Correlation-ID") == (None if on else "corr-f")  # type: ignore[attr-defined]


@check(Fault.REQUEST_ID_REUSED)
async def _request_id_reused(w: World, on: bool) -> None:
    _answer, call = await _forwarded(w)
    assert (call.header("X-Request-ID") == "corr-f") == on  # type: ignore[attr-defined]


@check(Fault.ROUTING_HEADERS_NOT_SWAPPED)
async def _routing_headers_not_swapped(w: World, on: bool) -> None:
    answer, _call = await _forwarded(w)
    to = answer.headers["OCPI-to-party-id"]  # type: ignore[attr-defined]
    assert to == ("MSP" if on else "CPO")


@check(Fault.LINK_NOT_REWRITTEN)
async def _link_not_rewritten(w: World, on: bool) -> None:
    theirs = f"{w.cpo.url('SENDER', 'locations')}?offset=1&limit=1"
    w.hub.client.answer(
        "GET", w.cpo.url("SENDER", "locations"), ocpi([], headers=[("Link", f'<{theirs}>; rel="next"')])
    )
    answer = await w.hub.send("locationsSenderGetList", w.msp, to=w.cpo, query="limit=1")
    ours = f"{HUB_BASE}{V}/sender/locations?offset=1&limit=1"
    assert answer.headers["Link"] == f'<{theirs if on else ours}>; rel="next"'


# --- the outbox -----------------------------------------------------------------------------------------------------


@check(Fault.BROADCAST_ECHOED)
async def _broadcast_echoed(w: World, on: bool) -> None:
    both_ways = await w.hub.register(
        "BE", "CP2", Role.CPO, interfaces=[("locations", InterfaceRole.SENDER), ("locations", InterfaceRole.RECEIVER)]
    )
    await w.hub.send("locationsReceiverPutLocation", both_ways, "BE", "CP2", "L1", body=ex.location("BE", "CP2", "L1"))
    echoed = [d for d in await w.hub.outbox() if d.receiver == both_ways.partner_id]
    assert len(echoed) == (1 if on else 0)
    assert {d.receiver for d in await w.hub.outbox()} >= {w.msp.partner_id, w.oth.partner_id}


@check(Fault.LAST_UPDATED_REWRITTEN)
async def _last_updated_rewritten(w: World, on: bool) -> None:
    await put_location(w)
    [delivery, *_] = await w.hub.outbox()
    stamp = msgspec.json.decode(delivery.body)["last_updated"]
    assert (stamp != "2015-06-29T20:39:09Z") == on
    assert (await w.hub.stored("locations", "NL/CPO", "LOC1"))["last_updated"] == "2015-06-29T20:39:09Z"


@check(Fault.CLIENTINFO_NOT_PUSHED)
async def _clientinfo_not_pushed(w: World, on: bool) -> None:
    await w.hub.ctx.operators.suspend(w.oth.partner_id)
    assert (await w.hub.outbox() == []) == on


# --- response URLs --------------------------------------------------------------------------------------------------


async def _command(w: World, timeout: int = 30) -> tuple[str, str]:
    """A START_SESSION from DE/MSP to NL/CPO: (the eMSP's URL, the URL the CPO was given)."""
    await put_location(w)
    for delivery in await w.hub.outbox():
        await w.hub.ctx.store.drop_delivery(delivery.delivery_id)
    w.hub.client.answer("POST", w.cpo.url("RECEIVER", "commands"), ocpi({"result": "ACCEPTED", "timeout": timeout}))
    mine = f"{w.msp.base}/sender/commands/START_SESSION/mine"
    body = {"response_url": mine, "token": ex.token("DE", "MSP", "T"), "location_id": "LOC1"}
    await w.hub.send("commandsReceiverPostCommand", w.msp, "START_SESSION", to=w.cpo, body=body)
    return mine, w.hub.client.calls[-1].json()["response_url"]


async def _result(w: World, given: str, by: object = None, result: str = "ACCEPTED") -> object:
    secret = given.rsplit("/", 1)[1]
    return await w.hub.send(
        "commandsSenderPostCommandResult", by or w.cpo, "START_SESSION", secret, body={"result": result}
    )


@check(Fault.RESPONSE_URL_NOT_SUBSTITUTED)
async def _response_url_not_substituted(w: World, on: bool) -> None:
    mine, given = await _command(w)
    assert (given == mine) == on
    await w.hub.send(
        "sessionsReceiverPutSession", w.cpo, "NL", "CPO", "S1", body=ex.session("NL", "CPO", "DE", "MSP", "S1")
    )
    own = f"{w.msp.base}/profiles/1"
    await w.hub.send(
        "chargingprofilesReceiverGetActiveProfile",
        w.msp,
        "S1",
        to=None,
        query=f"duration=60&response_url={quote(own, safe='')}",
    )
    forwarded = w.hub.client.calls[-1].url
    assert (f"response_url={quote(own, safe='')}" in forwarded) == on


@check(Fault.RESULT_NOT_FORWARDED)
async def _result_not_forwarded(w: World, on: bool) -> None:
    _mine, given = await _command(w)
    assert (await _result(w, given)).status_code == 1000  # type: ignore[attr-defined]
    assert len(await w.hub.outbox()) == (0 if on else 1)


@check(Fault.RESULT_TO_WRONG_PARTY)
async def _result_to_wrong_party(w: World, on: bool) -> None:
    mine, given = await _command(w)
    await _result(w, given)
    [delivery] = await w.hub.outbox()
    headers = dict(delivery.headers)
    assert (delivery.url, delivery.receiver) == (mine, w.msp.partner_id)
    assert (headers["OCPI-to-party-id"], headers["OCPI-from-party-id"]) == (("CPO", "MSP") if on else ("MSP", "CPO"))


@check(Fault.RESULTS_FROM_ANYONE)
async def _results_from_anyone(w: World, on: bool) -> None:
    _mine, given = await _command(w)
    answer = await _result(w, given, by=w.oth, result="FAILED")
    assert answer.status_code == (1000 if on else 2000)  # type: ignore[attr-defined]
    assert len(await w.hub.outbox()) == (1 if on else 0)


@check(Fault.COMMAND_RESPONSE_AS_RESULT)
async def _command_response_as_result(w: World, on: bool) -> None:
    mine, _given = await _command(w)
    planned = await w.hub.outbox()
    assert [(d.url, msgspec.json.decode(d.body)) for d in planned] == (
        [(mine, {"result": "ACCEPTED", "timeout": 30})] if on else []
    )


@check(Fault.RESULT_TIMEOUT_IGNORED)
async def _result_timeout_ignored(w: World, on: bool) -> None:
    _mine, given = await _command(w)
    past = DateTime.from_datetime(now() - timedelta(seconds=1))
    await w.hub.ctx.store.set_callback_expiry(secret_id(given.rsplit("/", 1)[1]), past)
    answer = await _result(w, given)
    assert answer.status_code == (1000 if on else 2000)  # type: ignore[attr-defined]
    assert len(await w.hub.outbox()) == (1 if on else 0)


@check(Fault.RESULT_REPEAT_ACCEPTED)
async def _result_repeat_accepted(w: World, on: bool) -> None:
    _mine, given = await _command(w)
    await _result(w, given)
    again = await _result(w, given)
    assert again.status_code == (1000 if on else 2000)  # type: ignore[attr-defined]
    assert len(await w.hub.outbox()) == (2 if on else 1)


# --- the page request -------------------------------------------------------------------------------------------------


async def _page(w: World, query: str) -> list[str]:
    for n in range(4):
        await put_location(w, f"P{n}", ex.location("NL", "CPO", f"P{n}", updated=f"2021-01-0{n + 1}T00:00:00Z"))
    answer = await w.hub.send("locationsSenderGetList", w.msp, query=query)
    return [loc["id"] for loc in answer.data]


@check(Fault.IGNORE_OFFSET)
async def _ignore_offset(w: World, on: bool) -> None:
    assert await _page(w, "offset=2&limit=1") == (["P0"] if on else ["P2"])


@check(Fault.IGNORE_LIMIT)
async def _ignore_limit(w: World, on: bool) -> None:
    assert await _page(w, "limit=1") == (["P0", "P1", "P2", "P3"] if on else ["P0"])


@check(Fault.IGNORE_DATE_FILTERS)
async def _ignore_date_filters(w: World, on: bool) -> None:
    found = await _page(w, "date_from=2021-01-02T00:00:00Z&date_to=2021-01-03T00:00:00Z")
    assert found == (["P0", "P1", "P2", "P3"] if on else ["P1"])


@check(Fault.DATE_TO_INCLUSIVE)
async def _date_to_inclusive(w: World, on: bool) -> None:
    assert await _page(w, "date_to=2021-01-02T00:00:00Z") == (["P0", "P1"] if on else ["P0"])


# --- the add-on modules: Invoice Reconciliation, Bookings -------------------------------------------------------------


@check(Fault.IR_SERVED_TO_ALL)
async def _ir_served_to_all(w: World, on: bool) -> None:
    await ir.routed_cdrs(w)
    record = ex.ir_record("NL", "CPO", "R1", ["C1"])
    assert (await w.hub.send(ir.POST, w.cpo, body=record, to=None)).ok
    assert (await w.hub.send(ir.LIST, w.oth)).data == ([record] if on else [])
    assert (await w.hub.send(ir.LIST, w.msp)).data == [record]


@check(Fault.IR_BROADCAST)
async def _ir_broadcast(w: World, on: bool) -> None:
    await ir.routed_cdrs(w)
    answer = await w.hub.send(ir.POST, w.cpo, body=ex.ir_record("NL", "CPO", "R1", ["NEVER-SEEN"]), to=None)
    assert answer.status_code == (1000 if on else 4001)
    receivers = sorted(d.receiver for d in await w.hub.outbox())
    assert receivers == ([w.msp.partner_id, w.oth.partner_id] if on else [])


@check(Fault.IR_PUT_MERGES_CDRS)
async def _ir_put_merges_cdrs(w: World, on: bool) -> None:
    await ir.routed_cdrs(w)
    record = ex.ir_record("NL", "CPO", "R1", ["C1", "C2"])
    assert (await w.hub.send(ir.POST, w.cpo, body=record, to=None)).ok
    assert (await w.hub.send(ir.PUT, w.cpo, *ir.ids(record), body={**record, "cdrs": ["C2"]}, to=None)).ok
    kept = (await w.hub.send(ir.GET, w.cpo, *ir.ids(record), to=None)).data
    assert kept["cdrs"] == (["C1", "C2"] if on else ["C2"])


@check(Fault.BOOKINGS_10_ACCEPTED)
async def _bookings_10_accepted(w: World, on: bool) -> None:
    bl = {k: v for k, v in ex.booking_location("NL", "CPO").items() if k not in ("booking_option", "calendars")}
    answer = await w.hub.send(bookings.PUT_BL, w.cpo, *bookings.BL1, body={**bl, "bookable_parking_options": [{}]})
    assert answer.status_code == (1000 if on else 2001)
    kept = await w.hub.stored("bookings.booking_locations", "NL/CPO", "BL1")
    assert (kept is not None and "bookable_parking_options" not in kept) == on


@check(Fault.BOOKINGS_10_EMITTED)
async def _bookings_10_emitted(w: World, on: bool) -> None:
    await bookings.published(w)
    [served] = (await w.hub.send(bookings.BLS, w.msp)).data
    slot = served["calendars"][0]["available_timeslots"][0]
    assert ("start_from" in slot, "start_date_time" in slot) == (on, not on)
    assert ("step_size" in served["calendars"][0]) == on
    one = (await w.hub.send(bookings.ONE_CAL, w.msp, "BL1", "CAL1")).data
    assert ("step_size" in one, "timeslot_increment" in one) == (on, not on)


@check(Fault.TIMESLOT_FILTER_IGNORED)
async def _timeslot_filter_ignored(w: World, on: bool) -> None:
    bl = await bookings.published(w)
    window = "timeslot_from=2026-03-10T09:00:00Z&timeslot_to=2026-03-10T16:00:00Z"
    [served] = (await w.hub.send(bookings.BLS, w.msp, query=window)).data
    published = bl["calendars"][0]["available_timeslots"]
    assert served["calendars"][0]["available_timeslots"] == (published if on else published[1:2])


@check(Fault.BOOKING_BROADCAST)
async def _booking_broadcast(w: World, on: bool) -> None:
    booking = ex.booking("NL", "CPO", "B1", ex.booking_request("DE", "MSP"))
    assert (await w.hub.send(bookings.PUT_BOOKING, w.cpo, *bookings.B1, body=booking, to=None)).ok
    receivers = sorted(d.receiver for d in await w.hub.outbox())
    assert receivers == ([w.msp.partner_id, w.oth.partner_id] if on else [])


@check(Fault.BOOKING_ANSWER_NOT_KEPT)
async def _booking_answer_not_kept(w: World, on: bool) -> None:
    await bookings.published(w)
    request = ex.booking_request("DE", "MSP")
    pending = ex.booking("NL", "CPO", "B1", request)
    bookings.answers_requests(w, pending)
    assert (await w.hub.send(bookings.REQUEST, w.msp, body=request, to=None)).ok
    assert (await w.hub.send(bookings.BOOKINGS, w.msp)).data == ([] if on else [pending])
    decision = await w.hub.send(bookings.PATCH_BOOKING, w.cpo, *bookings.B1, body=bookings.RESERVED, to=None)
    assert (decision.http_status, decision.relayed) == ((404, False) if on else (200, True))


# --- the tests --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fault", sorted(CHECKS, key=str), ids=str)
async def test_a_fault_switch_breaks_its_rule_and_only_when_it_is_on(make_hub: HubFactory, fault: Fault) -> None:
    for on in (False, True):
        hub = await make_hub(*([fault.value] if on else []))
        await CHECKS[fault](await world_of(hub), on)


HUB = Path(__file__).resolve().parents[2] / "reference_hub" / "hub"
ROUTING_AND_MODULE_RULES = [
    HUB / name for name in ("frontdoor.py", "objects.py", "routing.py", "outbox.py", "callbacks.py", "pages.py")
] + sorted((HUB / "modules").glob("*.py"))


def test_every_switch_in_the_routing_and_module_rules_has_its_check_in_process() -> None:
    named = {
        Fault[name]
        for path in ROUTING_AND_MODULE_RULES
        for name in re.findall(r"Fault\.([A-Z0-9_]+)", path.read_text(encoding="utf-8"))
    }
    assert len(named) >= 35  # the scan found the switches
    assert named - set(CHECKS) == set()


def test_every_fault_switch_is_shown_here_or_by_the_harness_tests() -> None:
    """A switch outside the routing and module rules (the HTTP layer, credentials, pagination headers) is certified by
    the harness tests against real processes; together they leave none out."""
    from tests.harness.test_against_reference_hub import FAULTS as HARNESS_FAULTS
    from tests.harness.test_against_reference_hub import NOT_YET_CERTIFIED

    assert set(Fault) - set(CHECKS) <= {Fault(name) for name in HARNESS_FAULTS}
    assert {Fault(name) for name in NOT_YET_CERTIFIED} <= set(CHECKS)
