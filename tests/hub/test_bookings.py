"""Bookings 1.1 through the hub, rule by rule, in process (tests/hub/inprocess.py). NL/CPO publishes BookingLocations
and answers BookingRequests; DE/MSP books; DE/OTH is another eMSP; FR/NOB an eMSP platform without the bookings
module. The module's fault switches are checked in test_faults.py with the others."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from reference_hub.ocpi.models import Role
from tests.hub.inprocess import INTERFACES, Party, World, ocpi
from tests.support import examples as ex

pytestmark = pytest.mark.anyio

PUT_BL = "bookingsReceiverPutBookingLocation"
PATCH_BL = "bookingsReceiverPatchBookingLocation"
GET_BL = "bookingsReceiverGetBookingLocation"
PUT_CAL = "bookingsReceiverPutCalendar"
PATCH_CAL = "bookingsReceiverPatchCalendar"
PUT_BOOKING = "bookingsReceiverPutBooking"
PATCH_BOOKING = "bookingsReceiverPatchBooking"
GET_BOOKING = "bookingsReceiverGetBooking"
REQUEST = "bookingsSenderPostBookingRequest"
BOOKINGS = "bookingsSenderGetList"
BLS = "bookingsSenderGetBookingLocations"
ONE_BL = "bookingsSenderGetBookingLocation"
ONE_CAL = "bookingsSenderGetCalendar"

BL1 = ("NL", "CPO", "BL1")
B1 = ("NL", "CPO", "B1")
RESERVED = {"reservation_status": "RESERVED", "last_updated": "2026-03-05T00:01:00Z"}
"""The CPO's decision on a pending Booking."""


@pytest.fixture
async def net(world: World) -> World:
    """The world's parties and FR/NOB, an eMSP whose platform does not implement Bookings (it must get nothing)."""
    await world.hub.register(
        "FR", "NOB", Role.EMSP, interfaces=[i for i in INTERFACES[Role.EMSP] if i[0] != "bookings"]
    )
    return world


async def published(w: World, bl: dict[str, Any] | None = None) -> dict[str, Any]:
    """``bl`` (by default the example BookingLocation BL1) PUT by the CPO to the hub."""
    bl = bl or ex.booking_location("NL", "CPO")
    answer = await w.hub.send(PUT_BL, w.cpo, "NL", "CPO", bl["id"], body=bl)
    assert answer.ok and answer.http_status == 201, answer
    return bl


def answers_requests(w: World, booking: dict[str, Any], cpo: Party | None = None) -> None:
    """The CPO's Sender answers a BookingRequest with ``booking``."""
    w.hub.client.answer("POST", (cpo or w.cpo).url("SENDER", "bookings"), ocpi(booking))


async def test_a_booking_location_is_broadcast_to_the_emsps_with_the_module_and_served_from_the_copy(
    net: World,
) -> None:
    hub, cpo, msp, oth = net.hub, net.cpo, net.msp, net.oth
    bl = await published(net)
    deliveries = sorted(await hub.outbox(), key=lambda d: d.receiver)
    assert [(d.receiver, d.method, d.url) for d in deliveries] == [
        (p.partner_id, "PUT", p.url("RECEIVER", "bookings", "/NL/CPO/booking_locations/BL1")) for p in (msp, oth)
    ]
    assert all(d.body is not None and msgspec.json.decode(d.body) == bl for d in deliveries)
    assert dict(deliveries[0].headers)["OCPI-from-party-id"] == "HUB"

    assert (await hub.send(ONE_BL, msp, "BL1")).data == bl
    assert (await hub.send(ONE_CAL, msp, "BL1", "CAL1")).data == bl["calendars"][0]
    listed = await hub.send(BLS, oth)
    assert (listed.data, listed.total) == ([bl], 1)
    assert (await hub.send(GET_BL, cpo, *BL1, to=None)).data == bl
    missing = await hub.send(ONE_CAL, msp, "BL1", "NOPE")
    assert (missing.http_status, missing.status_code) == (404, 2000)
    # addressed to one eMSP, it goes there alone, and the hub keeps its copy
    assert (await hub.send(PUT_BL, cpo, "NL", "CPO", "BL2", body={**bl, "id": "BL2"}, to=msp)).relayed
    assert [c.url for c in hub.client.calls] == [msp.url("RECEIVER", "bookings", "/NL/CPO/booking_locations/BL2")]
    assert len(await hub.outbox()) == 2
    assert await hub.stored("bookings.booking_locations", "NL/CPO", "BL2") is not None


async def test_a_calendar_change_is_its_booking_locations_change(net: World) -> None:
    hub, cpo, msp = net.hub, net.cpo, net.msp
    await published(net)
    cal = (*BL1, "CAL1")
    patch = {"timeslot_increment": 30, "last_updated": "2026-03-02T00:00:00Z"}
    assert (await hub.send(PATCH_CAL, cpo, *cal, body=patch)).ok
    stored = (await hub.send(ONE_BL, msp, "BL1")).data
    assert stored["calendars"][0]["timeslot_increment"] == 30
    assert stored["last_updated"] == stored["calendars"][0]["last_updated"] == "2026-03-02T00:00:00Z"

    second = ex.calendar(
        "CAL2", [ex.timeslot("2026-03-11T08:00:00Z", "2026-03-11T09:00:00Z")], updated="2026-03-03T00:00:00Z"
    )
    assert (await hub.send(PUT_CAL, cpo, *BL1, "CAL2", body=second)).http_status == 201
    stored = (await hub.send(GET_BL, cpo, *BL1, to=None)).data
    assert [c["id"] for c in stored["calendars"]] == ["CAL1", "CAL2"]
    assert stored["last_updated"] == "2026-03-03T00:00:00Z"

    unstamped = await hub.send(PATCH_CAL, cpo, *cal, body={"timeslot_increment": 5})
    assert unstamped.status_code == 2001 and "last_updated" in (unstamped.message or "")
    empty = await hub.send(
        PATCH_CAL, cpo, *cal, body={"available_timeslots": [], "last_updated": "2026-03-04T00:00:00Z"}
    )
    assert empty.status_code == 2001
    unknown = await hub.send(PUT_CAL, cpo, "NL", "CPO", "BL9", "CAL1", body=second | {"id": "CAL1"})
    assert unknown.http_status == 404
    assert (await hub.send(GET_BL, cpo, *BL1, to=None)).data == stored  # the refusals changed nothing


async def test_the_list_keeps_only_the_timeslots_within_the_window(net: World) -> None:
    hub, cpo, msp = net.hub, net.cpo, net.msp
    late = ex.calendar("LATE", [ex.timeslot("2026-03-20T08:00:00Z", "2026-03-20T09:00:00Z")])
    overrun = ex.calendar("OVER", [ex.timeslot("2026-03-10T15:00:00Z", "2026-03-10T17:00:00Z")])
    bl = ex.booking_location("NL", "CPO", calendars=[*ex.booking_location("NL", "CPO")["calendars"], late, overrun])
    await published(net, bl)
    window = "timeslot_from=2026-03-10T09:00:00Z&timeslot_to=2026-03-10T16:00:00Z"
    [served] = (await hub.send(BLS, msp, query=window)).data
    # LATE has no slot in the window, OVER's slot starts in it but ends after it: both left out
    assert [c["id"] for c in served["calendars"]] == ["CAL1"]
    assert served["calendars"][0]["available_timeslots"] == [bl["calendars"][0]["available_timeslots"][1]]
    assert {k: v for k, v in served.items() if k != "calendars"} == {k: v for k, v in bl.items() if k != "calendars"}
    [whole] = (await hub.send(BLS, msp)).data
    assert whole == bl
    [only_from] = (await hub.send(BLS, msp, query="timeslot_from=2026-03-15T00:00:00Z")).data
    assert [c["id"] for c in only_from["calendars"]] == ["LATE"]
    bad = await hub.send(BLS, msp, query="timeslot_from=tomorrow")
    assert bad.status_code == 2001 and "timeslot_from" in (bad.message or "")
    # through the hub to the CPO's own list, the window goes as sent
    assert (await hub.send(BLS, msp, to=cpo, query=window)).relayed
    assert hub.client.calls[-1].url == cpo.url("SENDER", "bookings", f"/booking_locations?{window}")


async def test_a_request_goes_to_the_cpo_of_its_booking_location_and_the_answer_is_kept_for_the_emsp(
    net: World,
) -> None:
    hub, cpo, msp, oth = net.hub, net.cpo, net.msp, net.oth
    await published(net)
    request = ex.booking_request("DE", "MSP")
    pending = ex.booking("NL", "CPO", "B1", request)
    answers_requests(net, pending)
    answer = await hub.send(REQUEST, msp, body=request, to=None)
    assert answer.relayed and answer.data == pending
    [sent] = hub.client.calls
    assert (sent.method, sent.url, sent.json()) == ("POST", cpo.url("SENDER", "bookings"), request)
    assert (sent.header("OCPI-to-party-id"), sent.header("OCPI-from-party-id")) == ("CPO", "MSP")

    assert (await hub.send(BOOKINGS, msp)).data == [pending]
    assert (await hub.send(BOOKINGS, cpo)).data == [pending]
    assert (await hub.send(BOOKINGS, oth)).data == []

    # the CPO's decision, without OCPI-to-*: to the eMSP that requested it, and the copy follows
    assert (await hub.send(PATCH_BOOKING, cpo, *B1, body=RESERVED, to=None)).relayed
    last = hub.client.calls[-1]
    assert (last.method, last.url) == ("PATCH", msp.url("RECEIVER", "bookings", "/NL/CPO/B1"))
    assert (await hub.send(BOOKINGS, msp)).data[0]["reservation_status"] == "RESERVED"
    assert all("booking_locations" in d.url for d in await hub.outbox())  # no Booking was broadcast


async def test_a_kept_booking_is_not_overtaken_by_an_older_answer(net: World) -> None:
    hub, cpo, msp = net.hub, net.cpo, net.msp
    await published(net)
    request = ex.booking_request("DE", "MSP")
    reserved = ex.booking("NL", "CPO", "B1", request, status="RESERVED", updated="2026-03-05T00:05:00Z")
    assert (await hub.send(PUT_BOOKING, cpo, *B1, body=reserved, to=msp)).ok  # the decision came first
    answers_requests(net, ex.booking("NL", "CPO", "B1", request))
    assert (await hub.send(REQUEST, msp, body=request, to=cpo)).ok
    assert (await hub.send(BOOKINGS, msp)).data == [reserved]


async def test_which_cpo_a_request_is_for_and_who_may_request(net: World) -> None:
    hub, cpo, msp = net.hub, net.cpo, net.msp
    other_cpo = await hub.register("BE", "CPO", Role.CPO)
    await published(net)
    theirs = {**ex.booking_location("BE", "CPO", location_id="LOC7"), "country_code": "BE"}
    assert (await hub.send(PUT_BL, other_cpo, "BE", "CPO", "BL1", body=theirs)).ok
    hub.client.calls.clear()
    # BL1 at two CPOs: the one at the request's location
    assert (await hub.send(REQUEST, msp, body=ex.booking_request("DE", "MSP", location_id="LOC7"), to=None)).ok
    assert hub.client.calls[-1].url == other_cpo.url("SENDER", "bookings")
    ambiguous = await hub.send(REQUEST, msp, body=ex.booking_request("DE", "MSP", location_id="LOC-ELSEWHERE"), to=None)
    assert ambiguous.status_code == 4001 and "BE/CPO, NL/CPO" in (ambiguous.message or "")
    # no BookingLocation known: the CPO of the Location
    location = ex.location("NL", "CPO", "LOC3")
    assert (await hub.send("locationsReceiverPutLocation", cpo, "NL", "CPO", "LOC3", body=location)).ok
    elsewhere = ex.booking_request("DE", "MSP", booking_location_id="BL-NEW", location_id="LOC3")
    assert (await hub.send(REQUEST, msp, body=elsewhere, to=None)).ok
    assert hub.client.calls[-1].url == cpo.url("SENDER", "bookings")
    nowhere = await hub.send(
        REQUEST, msp, body=ex.booking_request("DE", "MSP", booking_location_id="X", location_id="Y"), to=None
    )
    assert nowhere.status_code == 4001 and "OCPI-to" in (nowhere.message or "")

    sent = len(hub.client.calls)
    for_other = await hub.send(REQUEST, msp, body=ex.booking_request("DE", "OTH"), to=cpo)
    assert for_other.status_code == 2001 and "DE/OTH" in (for_other.message or "")
    by_cpo = await hub.send(REQUEST, cpo, body=ex.booking_request("NL", "CPO"), to=other_cpo)
    assert by_cpo.status_code == 2000 and "EMSP" in (by_cpo.message or "")
    no_location = {k: v for k, v in ex.booking_request("DE", "MSP").items() if k != "booking_location_id"}
    assert (await hub.send(REQUEST, msp, body=no_location, to=cpo)).status_code == 2001
    unknown_party = await hub.send(REQUEST, msp, body=ex.booking_request("DE", "MSP"), to=("ZZ", "ZZZ"))
    assert unknown_party.status_code == 4001
    assert len(hub.client.calls) == sent


async def test_bookings_10_bodies_are_refused_saying_so_and_change_nothing(net: World) -> None:
    hub, cpo, msp = net.hub, net.cpo, net.msp
    bl = await published(net)
    v10_location = {k: v for k, v in bl.items() if k not in ("booking_option", "calendars", "tariff_ids")}
    v10_location |= {"bookable_parking_options": [{"vehicle_types": ["PERSONAL_VEHICLE"]}], "tariff_id": ["12"]}
    refused = await hub.send(PUT_BL, cpo, *BL1, body=v10_location)
    assert refused.status_code == 2001
    assert "Bookings 1.0" in (refused.message or "")
    assert "bookable_parking_options (1.1: booking_option)" in (refused.message or "")
    assert (await hub.send(GET_BL, cpo, *BL1, to=None)).data == bl

    step = await hub.send(PATCH_CAL, cpo, *BL1, "CAL1", body={"step_size": 30, "last_updated": "2026-03-06T00:00:00Z"})
    assert step.status_code == 2001 and "step_size (1.1: timeslot_increment)" in (step.message or "")

    request = ex.booking_request("DE", "MSP")
    v10_request = {k: v for k, v in request.items() if k != "booking_location_id"}
    v10_request |= {
        "evse_uid": "3256",
        "period": {"start_from": "2026-03-10T08:00:00Z", "end_before": "2026-03-10T09:00:00Z"},
    }
    old = await hub.send(REQUEST, msp, body=v10_request, to=None)
    assert old.status_code == 2001
    assert "evse_uid (1.1: booking_option.evse_uid)" in (old.message or "") and "start_from" in (old.message or "")
    assert hub.client.calls == [] and len(await hub.outbox()) == 2  # only the first BookingLocation's broadcast


async def test_bookings_are_never_broadcast_and_go_to_the_emsp_that_requested_them(net: World) -> None:
    hub, cpo, msp, oth = net.hub, net.cpo, net.msp, net.oth
    booking = ex.booking("NL", "CPO", "B1", ex.booking_request("DE", "MSP"), status="RESERVED")
    assert (await hub.send(PUT_BOOKING, cpo, *B1, body=booking, to=None)).relayed
    assert [c.url for c in hub.client.calls] == [msp.url("RECEIVER", "bookings", "/NL/CPO/B1")]
    assert await hub.outbox() == []
    assert (await hub.send(GET_BOOKING, cpo, *B1, to=None)).data == booking
    assert (await hub.send(BOOKINGS, oth)).data == []
    # for an eMSP that is not connected the hub keeps the copy and sends nothing
    stray = ex.booking("NL", "CPO", "B2", ex.booking_request("ZZ", "ZZZ"))
    assert (await hub.send(PUT_BOOKING, cpo, "NL", "CPO", "B2", body=stray, to=None)).http_status == 201
    assert len(hub.client.calls) == 1
    reserved_word = await hub.send(
        PUT_BOOKING, cpo, "NL", "CPO", "booking_locations", body={**booking, "id": "booking_locations"}
    )
    assert reserved_word.status_code == 2001
    by_emsp = await hub.send(
        PUT_BOOKING, msp, "DE", "MSP", "B3", body={**booking, "id": "B3", "country_code": "DE", "party_id": "MSP"}
    )
    assert by_emsp.status_code == 2000 and "CPO" in (by_emsp.message or "")
    not_theirs = await hub.send(PUT_BL, msp, *BL1, body=ex.booking_location("NL", "CPO"))
    assert (not_theirs.http_status, not_theirs.status_code) == (404, 2000)
    assert await hub.stored("bookings.booking_locations", "NL/CPO", "BL1") is None
