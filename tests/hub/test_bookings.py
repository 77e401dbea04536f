"""Bookings 1.1 through the hub, rule by rule, in process (tests/hub/recording_hub.py: the real services, SQLite in
memory, a recording stand-in for the parties). NL/CPO publishes BookingLocations and answers BookingRequests; DE/MSP
books; DE/OTH is another eMSP; FR/NOB an eMSP platform without the bookings module."""

from __future__ import annotations

from typing import Any

import msgspec

from reference_hub.faults import Fault
from reference_hub.ocpi.models import Role
from tests.hub.recording_hub import Platform, World, run
from tests.support import examples as ex

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
BOOKINGS_FAULTS = (
    Fault.BOOKINGS_10_ACCEPTED,
    Fault.BOOKINGS_10_EMITTED,
    Fault.TIMESLOT_FILTER_IGNORED,
    Fault.BOOKING_BROADCAST,
    Fault.BOOKING_ANSWER_NOT_KEPT,
)
"""The fault switches the last tests here show breaking their rule."""

BL1 = {"country_code": "NL", "party_id": "CPO", "booking_location_id": "BL1"}
B1 = {"country_code": "NL", "party_id": "CPO", "booking_id": "B1"}


async def network(w: World) -> tuple[Platform, Platform, Platform, Platform]:
    cpo = await w.platform("NL", "CPO", Role.CPO)
    msp = await w.platform("DE", "MSP", Role.EMSP)
    oth = await w.platform("DE", "OTH", Role.EMSP)
    nob = await w.platform("FR", "NOB", Role.EMSP, modules=("locations",))
    return cpo, msp, oth, nob


async def published(w: World, cpo: Platform, bl: dict[str, Any] | None = None) -> dict[str, Any]:
    bl = bl or ex.booking_location("NL", "CPO")
    result = await w.call(cpo, PUT_BL, BL1 | {"booking_location_id": bl["id"]}, bl)
    assert result.ok and result.http_status == 201, result
    return bl


def test_a_booking_location_is_broadcast_to_the_emsps_with_the_module_and_served_from_the_copy() -> None:
    async def scenario(w: World) -> None:
        cpo, msp, oth, _nob = await network(w)
        bl = await published(w, cpo)
        deliveries = sorted(await w.deliveries(), key=lambda d: d.receiver)
        assert [(d.receiver, d.method, d.url) for d in deliveries] == [
            (p.partner_id, "PUT", f"{p.base}/receiver/bookings/NL/CPO/booking_locations/BL1") for p in (msp, oth)
        ]
        assert all(d.body is not None and msgspec.json.decode(d.body) == bl for d in deliveries)
        assert dict(deliveries[0].headers)["OCPI-from-party-id"] == "HUB"

        assert (await w.call(msp, ONE_BL, {"booking_location_id": "BL1"})).data == bl
        calendar = await w.call(msp, ONE_CAL, {"booking_location_id": "BL1", "calendar_id": "CAL1"})
        assert calendar.data == bl["calendars"][0]
        listed = await w.call(oth, BLS)
        assert (listed.data, listed.total) == ([bl], 1)
        assert (await w.call(cpo, GET_BL, BL1, to=None)).data == bl
        missing = await w.call(msp, ONE_CAL, {"booking_location_id": "BL1", "calendar_id": "NOPE"})
        assert (missing.http_status, missing.status_code) == (404, 2000)
        # addressed to one eMSP, it goes there alone, and the hub keeps its copy
        assert (await w.call(cpo, PUT_BL, BL1 | {"booking_location_id": "BL2"}, {**bl, "id": "BL2"}, to=msp)).relayed
        assert [c.url for c in w.client.calls] == [f"{msp.base}/receiver/bookings/NL/CPO/booking_locations/BL2"]
        assert len(await w.deliveries()) == 2

    run(scenario)


def test_a_calendar_change_is_its_booking_locations_change() -> None:
    async def scenario(w: World) -> None:
        cpo, msp, _oth, _nob = await network(w)
        await published(w, cpo)
        cal = BL1 | {"calendar_id": "CAL1"}
        patch = {"timeslot_increment": 30, "last_updated": "2026-03-02T00:00:00Z"}
        assert (await w.call(cpo, PATCH_CAL, cal, patch)).ok
        stored = (await w.call(msp, ONE_BL, {"booking_location_id": "BL1"})).data
        assert stored["calendars"][0]["timeslot_increment"] == 30
        assert stored["last_updated"] == stored["calendars"][0]["last_updated"] == "2026-03-02T00:00:00Z"

        second = ex.calendar(
            "CAL2", [ex.timeslot("2026-03-11T08:00:00Z", "2026-03-11T09:00:00Z")], updated="2026-03-03T00:00:00Z"
        )
        assert (await w.call(cpo, PUT_CAL, BL1 | {"calendar_id": "CAL2"}, second)).http_status == 201
        stored = (await w.call(cpo, GET_BL, BL1, to=None)).data
        assert [c["id"] for c in stored["calendars"]] == ["CAL1", "CAL2"]
        assert stored["last_updated"] == "2026-03-03T00:00:00Z"

        unstamped = await w.call(cpo, PATCH_CAL, cal, {"timeslot_increment": 5})
        assert unstamped.status_code == 2001 and "last_updated" in (unstamped.message or "")
        empty = await w.call(cpo, PATCH_CAL, cal, {"available_timeslots": [], "last_updated": "2026-03-04T00:00:00Z"})
        assert empty.status_code == 2001
        unknown = await w.call(
            cpo, PUT_CAL, {**BL1, "booking_location_id": "BL9", "calendar_id": "CAL1"}, second | {"id": "CAL1"}
        )
        assert unknown.http_status == 404
        assert (await w.call(cpo, GET_BL, BL1, to=None)).data == stored  # the refusals changed nothing

    run(scenario)


def test_the_list_keeps_only_the_timeslots_within_the_window() -> None:
    async def scenario(w: World) -> None:
        cpo, msp, _oth, _nob = await network(w)
        late = ex.calendar("LATE", [ex.timeslot("2026-03-20T08:00:00Z", "2026-03-20T09:00:00Z")])
        bl = ex.booking_location("NL", "CPO", calendars=[*ex.booking_location("NL", "CPO")["calendars"], late])
        await published(w, cpo, bl)
        window = "timeslot_from=2026-03-10T09:00:00Z&timeslot_to=2026-03-10T16:00:00Z"
        [served] = (await w.call(msp, BLS, query=window)).data
        assert [c["id"] for c in served["calendars"]] == ["CAL1"]  # LATE has no slot in the window: left out
        assert served["calendars"][0]["available_timeslots"] == [bl["calendars"][0]["available_timeslots"][1]]
        assert {k: v for k, v in served.items() if k != "calendars"} == {
            k: v for k, v in bl.items() if k != "calendars"
        }
        [whole] = (await w.call(msp, BLS)).data
        assert whole == bl
        [only_from] = (await w.call(msp, BLS, query="timeslot_from=2026-03-15T00:00:00Z")).data
        assert [c["id"] for c in only_from["calendars"]] == ["LATE"]
        bad = await w.call(msp, BLS, query="timeslot_from=tomorrow")
        assert bad.status_code == 2001 and "timeslot_from" in (bad.message or "")
        # through the hub to the CPO's own list, the window goes as sent
        assert (await w.call(msp, BLS, to=cpo, query=window)).relayed
        assert w.client.calls[-1].url == f"{cpo.base}/sender/bookings/booking_locations?{window}"

    run(scenario)


def test_a_request_goes_to_the_cpo_of_its_booking_location_and_the_answer_is_kept_for_the_emsp() -> None:
    async def scenario(w: World) -> None:
        cpo, msp, oth, _nob = await network(w)
        await published(w, cpo)
        request = ex.booking_request("DE", "MSP")
        pending = ex.booking("NL", "CPO", "B1", request)
        w.client.answer("POST", f"{cpo.base}/sender/bookings", {"status_code": 1000, "data": pending, "timestamp": "x"})
        answer = await w.call(msp, REQUEST, body=request, to=None)
        assert answer.relayed and answer.data == pending
        [sent] = w.client.calls
        assert (sent.method, sent.url, sent.body) == ("POST", f"{cpo.base}/sender/bookings", request)
        assert (sent.headers["ocpi-to-party-id"], sent.headers["ocpi-from-party-id"]) == ("CPO", "MSP")

        assert (await w.call(msp, BOOKINGS)).data == [pending]
        assert (await w.call(cpo, BOOKINGS)).data == [pending]
        assert (await w.call(oth, BOOKINGS)).data == []

        # the CPO's decision, without OCPI-to-*: to the eMSP that requested it, and the copy follows
        decision = {"reservation_status": "RESERVED", "last_updated": "2026-03-05T00:01:00Z"}
        assert (await w.call(cpo, PATCH_BOOKING, B1, decision, to=None)).relayed
        assert (w.client.calls[-1].method, w.client.calls[-1].url) == (
            "PATCH",
            f"{msp.base}/receiver/bookings/NL/CPO/B1",
        )
        assert (await w.call(msp, BOOKINGS)).data[0]["reservation_status"] == "RESERVED"
        assert all("booking_locations" in d.url for d in await w.deliveries())  # no Booking was broadcast

    run(scenario)


def test_a_kept_booking_is_not_overtaken_by_an_older_answer() -> None:
    async def scenario(w: World) -> None:
        cpo, msp, _oth, _nob = await network(w)
        await published(w, cpo)
        request = ex.booking_request("DE", "MSP")
        reserved = ex.booking("NL", "CPO", "B1", request, status="RESERVED", updated="2026-03-05T00:05:00Z")
        assert (await w.call(cpo, PUT_BOOKING, B1, reserved, to=msp)).ok  # the decision came first
        pending = ex.booking("NL", "CPO", "B1", request)
        w.client.answer("POST", f"{cpo.base}/sender/bookings", {"status_code": 1000, "data": pending, "timestamp": "x"})
        assert (await w.call(msp, REQUEST, body=request, to=cpo)).ok
        assert (await w.call(msp, BOOKINGS)).data == [reserved]

    run(scenario)


def test_which_cpo_a_request_is_for_and_who_may_request() -> None:
    async def scenario(w: World) -> None:
        cpo, msp, _oth, _nob = await network(w)
        other_cpo = await w.platform("BE", "CPO", Role.CPO)
        await published(w, cpo)
        theirs = {**ex.booking_location("BE", "CPO", location_id="LOC7"), "country_code": "BE"}
        assert (await w.call(other_cpo, PUT_BL, {**BL1, "country_code": "BE"}, theirs)).ok
        w.client.calls.clear()
        # BL1 at two CPOs: the one at the request's location
        assert (await w.call(msp, REQUEST, body=ex.booking_request("DE", "MSP", location_id="LOC7"), to=None)).ok
        assert w.client.calls[-1].url == f"{other_cpo.base}/sender/bookings"
        ambiguous = await w.call(
            msp, REQUEST, body=ex.booking_request("DE", "MSP", location_id="LOC-ELSEWHERE"), to=None
        )
        assert ambiguous.status_code == 4001 and "BE/CPO, NL/CPO" in (ambiguous.message or "")
        # no BookingLocation known: the CPO of the Location
        assert (
            await w.call(
                cpo,
                "locationsReceiverPutLocation",
                {"country_code": "NL", "party_id": "CPO", "location_id": "LOC3"},
                ex.location("NL", "CPO", "LOC3"),
            )
        ).ok
        assert (
            await w.call(
                msp,
                REQUEST,
                body=ex.booking_request("DE", "MSP", booking_location_id="BL-NEW", location_id="LOC3"),
                to=None,
            )
        ).ok
        assert w.client.calls[-1].url == f"{cpo.base}/sender/bookings"
        nowhere = await w.call(
            msp, REQUEST, body=ex.booking_request("DE", "MSP", booking_location_id="X", location_id="Y"), to=None
        )
        assert nowhere.status_code == 4001 and "OCPI-to" in (nowhere.message or "")

        sent = len(w.client.calls)
        for_other = await w.call(msp, REQUEST, body=ex.booking_request("DE", "OTH"), to=cpo)
        assert for_other.status_code == 2001 and "DE/OTH" in (for_other.message or "")
        by_cpo = await w.call(cpo, REQUEST, body=ex.booking_request("NL", "CPO"), to=other_cpo)
        assert by_cpo.status_code == 2000 and "EMSP" in (by_cpo.message or "")
        no_location = {k: v for k, v in ex.booking_request("DE", "MSP").items() if k != "booking_location_id"}
        assert (await w.call(msp, REQUEST, body=no_location, to=cpo)).status_code == 2001
        unknown_party = await w.call(msp, REQUEST, body=ex.booking_request("DE", "MSP"), to=("ZZ", "ZZZ"))
        assert unknown_party.status_code == 4001
        assert len(w.client.calls) == sent

    run(scenario)


def test_bookings_10_bodies_are_refused_saying_so_and_change_nothing() -> None:
    async def scenario(w: World) -> None:
        cpo, msp, _oth, _nob = await network(w)
        bl = await published(w, cpo)
        v10_location = {k: v for k, v in bl.items() if k not in ("booking_option", "calendars", "tariff_ids")}
        v10_location |= {"bookable_parking_options": [{"vehicle_types": ["PERSONAL_VEHICLE"]}], "tariff_id": ["12"]}
        refused = await w.call(cpo, PUT_BL, BL1, v10_location)
        assert refused.status_code == 2001
        assert "Bookings 1.0" in (refused.message or "") and "bookable_parking_options (1.1: booking_option)" in (
            refused.message or ""
        )
        assert (await w.call(cpo, GET_BL, BL1, to=None)).data == bl

        v10_calendar = BL1 | {"calendar_id": "CAL1"}
        step = await w.call(cpo, PATCH_CAL, v10_calendar, {"step_size": 30, "last_updated": "2026-03-06T00:00:00Z"})
        assert step.status_code == 2001 and "step_size (1.1: timeslot_increment)" in (step.message or "")

        request = ex.booking_request("DE", "MSP")
        v10_request = {k: v for k, v in request.items() if k != "booking_location_id"}
        v10_request |= {
            "evse_uid": "3256",
            "period": {"start_from": "2026-03-10T08:00:00Z", "end_before": "2026-03-10T09:00:00Z"},
        }
        old = await w.call(msp, REQUEST, body=v10_request, to=None)
        assert old.status_code == 2001
        assert "evse_uid (1.1: booking_option.evse_uid)" in (old.message or "") and "start_from" in (old.message or "")
        assert w.client.calls == [] and len(await w.deliveries()) == 2  # only the first BookingLocation's broadcast

    run(scenario)


def test_bookings_are_never_broadcast_and_go_to_the_emsp_that_requested_them() -> None:
    async def scenario(w: World) -> None:
        cpo, msp, oth, _nob = await network(w)
        request = ex.booking_request("DE", "MSP")
        booking = ex.booking("NL", "CPO", "B1", request, status="RESERVED")
        assert (await w.call(cpo, PUT_BOOKING, B1, booking, to=None)).relayed
        assert [c.url for c in w.client.calls] == [f"{msp.base}/receiver/bookings/NL/CPO/B1"]
        assert await w.deliveries() == []
        assert (await w.call(cpo, GET_BOOKING, B1, to=None)).data == booking
        assert (await w.call(oth, BOOKINGS)).data == []
        # for an eMSP that is not connected the hub keeps the copy and sends nothing
        stray = ex.booking("NL", "CPO", "B2", ex.booking_request("ZZ", "ZZZ"))
        assert (await w.call(cpo, PUT_BOOKING, {**B1, "booking_id": "B2"}, stray, to=None)).http_status == 201
        assert len(w.client.calls) == 1
        reserved_word = await w.call(
            cpo, PUT_BOOKING, {**B1, "booking_id": "booking_locations"}, {**booking, "id": "booking_locations"}
        )
        assert reserved_word.status_code == 2001
        by_emsp = await w.call(
            msp,
            PUT_BOOKING,
            {"country_code": "DE", "party_id": "MSP", "booking_id": "B3"},
            {**booking, "id": "B3", "country_code": "DE", "party_id": "MSP"},
        )
        assert by_emsp.status_code == 2000 and "CPO" in (by_emsp.message or "")
        not_theirs = await w.call(msp, PUT_BL, BL1, ex.booking_location("NL", "CPO"))
        assert (not_theirs.http_status, not_theirs.status_code) == (404, 2000)

    run(scenario)


def test_fault_bookings_10_accepted_takes_a_10_body_and_drops_its_fields() -> None:
    async def scenario(w: World) -> None:
        cpo, _msp, _oth, _nob = await network(w)
        bl = {k: v for k, v in ex.booking_location("NL", "CPO").items() if k not in ("booking_option", "calendars")}
        assert (await w.call(cpo, PUT_BL, BL1, {**bl, "bookable_parking_options": [{}]})).ok
        assert "bookable_parking_options" not in (await w.call(cpo, GET_BL, BL1, to=None)).data

    run(scenario, Fault.BOOKINGS_10_ACCEPTED)


def test_fault_bookings_10_emitted_serves_10_names() -> None:
    async def scenario(w: World) -> None:
        cpo, msp, _oth, _nob = await network(w)
        await published(w, cpo)
        [served] = (await w.call(msp, BLS)).data
        slot = served["calendars"][0]["available_timeslots"][0]
        assert "start_from" in slot and "start_date_time" not in slot and "step_size" in served["calendars"][0]
        one = (await w.call(msp, ONE_CAL, {"booking_location_id": "BL1", "calendar_id": "CAL1"})).data
        assert "step_size" in one

    run(scenario, Fault.BOOKINGS_10_EMITTED)


def test_fault_timeslot_filter_ignored() -> None:
    async def scenario(w: World) -> None:
        cpo, msp, _oth, _nob = await network(w)
        bl = await published(w, cpo)
        window = "timeslot_from=2026-03-10T09:00:00Z&timeslot_to=2026-03-10T16:00:00Z"
        assert (await w.call(msp, BLS, query=window)).data == [bl]

    run(scenario, Fault.TIMESLOT_FILTER_IGNORED)


def test_fault_booking_broadcast() -> None:
    async def scenario(w: World) -> None:
        cpo, _msp, _oth, _nob = await network(w)
        booking = ex.booking("NL", "CPO", "B1", ex.booking_request("DE", "MSP"))
        assert (await w.call(cpo, PUT_BOOKING, B1, booking, to=None)).ok
        assert sorted(d.receiver for d in await w.deliveries()) == ["DE-MSP", "DE-OTH"]

    run(scenario, Fault.BOOKING_BROADCAST)


def test_fault_booking_answer_not_kept() -> None:
    async def scenario(w: World) -> None:
        cpo, msp, _oth, _nob = await network(w)
        await published(w, cpo)
        request = ex.booking_request("DE", "MSP")
        w.client.answer(
            "POST",
            f"{cpo.base}/sender/bookings",
            {"status_code": 1000, "data": ex.booking("NL", "CPO", "B1", request), "timestamp": "x"},
        )
        assert (await w.call(msp, REQUEST, body=request, to=None)).ok
        assert (await w.call(msp, BOOKINGS)).data == []
        lost = await w.call(
            cpo, PATCH_BOOKING, B1, {"reservation_status": "RESERVED", "last_updated": "2026-03-05T00:01:00Z"}, to=None
        )
        assert lost.http_status == 404

    run(scenario, Fault.BOOKING_ANSWER_NOT_KEPT)
