"""Steps for Bookings (1.1): BookingLocations and Bookings the harness publishes as a CPO, and booking requests it
makes as an eMSP.

The CPO identity PUTs BookingLocations (one Calendar of three free hours tomorrow) to the target's bookings Receiver
under its own party id; against a hub addressed to the hub (broadcast, like Locations) or, with ``--no-broadcast``, to
the harness's eMSP identity. The eMSP identity reads the target's bookings Sender (the BookingLocations list, one
BookingLocation, one Calendar) and, against a hub, requests a booking from the CPO identity, whose peer answers with
a PENDING Booking that the harness, as that CPO, then decides. A BookingLocation cannot be deleted in OCPI: each one
the harness published is left with no Calendar at the end; a Booking is CANCELED by its CPO.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

import pytest
from pytest_bdd import given, then, when

from conformance import objects as ob
from conformance.checks import run_check
from conformance.checks._registry import judged
from conformance.checks.envelope import describe_answer, require_response
from conformance.checks.shape import one_object
from conformance.model import Blocked, Exchange, Finding
from conformance.oracle import get_oracle
from conformance.plan import Plays, check_needs
from conformance.steps.context import ScenarioContext, collect_findings
from conformance.steps.hub import _unknown_party
from conformance.steps.invoicereconciliation import quiet_for, read_pages
from conformance.steps.objects import (
    Actor,
    _accepted,
    _actor,
    _diff,
    _fail,
    _needed,
    _new_id,
    _ok,
    _send_new,
    _stored,
    _undeliverable,
    _write,
)
from conformance.urls import endpoint_url

__all__ = ()

MODULE = "bookings"
_RECEIVER = "mod_bookings.receiver"
_SENDER = "mod_bookings.sender"
_ROUTING = "transport_and_format.message_routing"

V10_FIELDS = ("evse_uid", "bookable_parking_options", "bookable", "tariff_id")
"""Fields of a Bookings 1.0 BookingLocation that 1.1 renamed or moved (``booking_option``, ``policy``,
``tariff_ids``); the body below has nothing else of 1.0, so it decodes as a 1.1 BookingLocation with unknown
fields."""


def _v10_booking_location(cc: str, pid: str, booking_location_id: str, *, updated: str) -> dict[str, Any]:
    return {
        "country_code": cc,
        "party_id": pid,
        "id": booking_location_id,
        "location_id": f"{booking_location_id}-L",
        "evse_uid": f"{booking_location_id}-E1",
        "bookable_parking_options": [{"vehicle_types": ["PERSONAL_VEHICLE"], "format": "SOCKET"}],
        "bookable": {"reservation_required": False},
        "tariff_id": [f"{booking_location_id}-T"],
        "calendars": [],
        "last_updated": updated,
    }


def _retire_location(actor: Actor, url: str, body: dict[str, Any]) -> None:
    what = f"BookingLocation {body['id']} left without calendars"
    actor.session.on_cleanup(what, actor.undo(what, "PATCH", url, {"calendars": [], "last_updated": ""}))


def _retire_booking(actor: Actor, url: str, booking: dict[str, Any]) -> None:
    what = f"Booking {booking['id']} CANCELED"
    body = {
        "reservation_status": "CANCELED",
        "canceled": {"cancellation_reason": "UNKNOWN", "who_canceled": "CPO"},
        "last_updated": "",
    }
    actor.session.on_cleanup(what, actor.undo(what, "PATCH", url, body))


def _publish(ctx: ScenarioContext, actor: Actor, label: str = "") -> tuple[Exchange, dict[str, Any], str]:
    """The CPO identity PUTs a new BookingLocation (the form the Receiver takes); the answer, body and URL."""
    booking_location_id = _new_id(actor, "Booking")
    cc, pid = actor.party
    url = endpoint_url(actor.url, f"{cc}/{pid}/booking_locations/{booking_location_id}")

    def build(full: bool) -> dict[str, Any]:
        body = ob.booking_location(cc, pid, booking_location_id, updated=ob.now(-120))
        return ob.fullest("BookingLocation", body) if full else body

    ex, body = _send_new(
        ctx, actor, "BookingLocation", "PUT", url, build, label or f"PUT a new BookingLocation {booking_location_id}"
    )
    if _ok(ex):
        _retire_location(actor, url, body)
    return ex, body, url


def _as_cpo(ctx: ScenarioContext) -> Actor | None:
    """The CPO identity at the target's bookings Receiver, or None (noted) when the harness may not publish."""
    harness = ctx.harness
    reason = check_needs(harness, (Plays("CPO", MODULE, "RECEIVER", writes=True),))
    if reason:
        ctx.note(f"no BookingLocation published first: {reason}")
        return None
    session = harness.as_role("CPO")
    url = harness.discover().url(MODULE, "RECEIVER")
    assert session is not None and url is not None
    return Actor(session, MODULE, url)


# ## Receiver ------------------------------------------------------------------------------------


@when("the harness PUTs a new BookingLocation with one Calendar under its own party id")
def put_booking_location(ocpi_context: ScenarioContext) -> None:
    actor = _actor(ocpi_context)
    ex, body, url = _publish(ocpi_context, actor)
    ocpi_context.objects.update(kind="BookingLocation", body=body, url=url, answer=ex)
    _needed(ocpi_context, ex, "the PUT of a new BookingLocation", creates=True)


@then("a GET of the BookingLocation and of its Calendar returns what was PUT, last_updated included")
def booking_location_stored(ocpi_context: ScenarioContext) -> None:
    o = ocpi_context.objects
    stored = _stored(ocpi_context, o["url"], "BookingLocation")
    calendar = o["body"]["calendars"][0]
    stored_calendar = _stored(ocpi_context, endpoint_url(o["url"], calendar["id"]), "Calendar")
    diffs = _diff(o["body"], stored) + [f"calendar: {d}" for d in _diff(calendar, stored_calendar)]
    judged("stored_as_sent", o["reads"][-1])
    if diffs:
        _fail(
            "the stored BookingLocation differs from what the harness PUT",
            [o["answer"], *o["reads"]],
            spec=_RECEIVER,
            expected="the BookingLocation and its Calendar as PUT (extra fields allowed)",
            actual="; ".join(diffs[:8]),
            check="stored_as_sent",
        )


@when("the harness PUTs a new BookingLocation in the Bookings 1.0 form")
def put_v10(ocpi_context: ScenarioContext) -> None:
    actor = _actor(ocpi_context)
    booking_location_id = _new_id(actor, "Booking")
    cc, pid = actor.party
    url = endpoint_url(actor.url, f"{cc}/{pid}/booking_locations/{booking_location_id}")
    body = _v10_booking_location(cc, pid, booking_location_id, updated=ob.now(-120))
    ex = _write(ocpi_context, "PUT", url, body, f"PUT a Bookings 1.0 BookingLocation {booking_location_id}")
    if _ok(ex):
        _retire_location(actor, url, body)
    ocpi_context.objects.update(kind="BookingLocation", body=body, url=url, answer=ex)


@then("the PUT is refused with status_code 2001 and a GET finds no such BookingLocation")
def v10_refused(ocpi_context: ScenarioContext) -> None:
    o = ocpi_context.objects
    ex: Exchange = o["answer"]
    require_response(ex)
    _undeliverable(ocpi_context, ex)
    if ex.ocpi_status is None and (ex.status is None or not 200 <= ex.status < 300):
        raise Blocked(f"the refusal (HTTP {ex.status}) has no OCPI envelope", "transport.envelope-error")
    read = _actor(ocpi_context).send("GET", o["url"], label="GET the Bookings 1.0 BookingLocation")
    judged("bookings_10_refused", ex)
    stored = read.status == 200 and isinstance(read.data, dict) and read.data.get("id") == o["body"]["id"]
    if ex.ocpi_status != 2001 or stored:
        actual = describe_answer(ex)
        if stored and isinstance(read.data, dict):
            kept = [f for f in V10_FIELDS if f in read.data]
            actual += f"; stored, with the 1.0 fields {kept or 'all dropped'}"
        _fail(
            "a BookingLocation in the Bookings 1.0 form (bookable_parking_options, bookable, tariff_id, evse_uid) was "
            "not refused",
            [ex, read],
            spec=_RECEIVER,
            expected="status_code 2001 naming the 1.0 fields, nothing stored (1.0 and 1.1 share the version and the "
            "module id: a 1.0 body taken as 1.1 loses what it says)",
            actual=actual,
            check="bookings_10_refused",
        )


@when("the harness PUTs a new Booking for an eMSP other than its own, naming no receiver")
def put_foreign_booking(ocpi_context: ScenarioContext) -> None:
    actor = _actor(ocpi_context)
    if ocpi_context.harness.as_role("EMSP") is None:
        pytest.skip('target.toml gives no eMSP identity to watch (add an [[identities]] table with role = "EMSP")')
    other = _unknown_party(actor.session)
    cc, pid = actor.party
    booking_id = _new_id(actor, "Booking")
    place = ob.booking_location(cc, pid, f"{booking_id}P", updated=ob.now(-120))
    request = ob.booking_request(other, f"{booking_id}R", place, start=ob.now(86400), end=ob.now(90000))
    body = ob.booking(cc, pid, booking_id, request, updated=ob.now(-120))
    url = endpoint_url(actor.url, f"{cc}/{pid}/{booking_id}")
    headers = {k: v for k, v in actor.headers("PUT").items() if not k.startswith("OCPI-to-")}
    ex = actor.session.client.request(
        "PUT",
        url,
        token=actor.session.token,
        json_body=body,
        headers=headers,
        label=f"PUT a new Booking {booking_id} of eMSP {other[0]}/{other[1]} (no OCPI-to-*)",
    )
    ocpi_context.objects.update(body=body, url=url, answer=ex, other=other, since=ex.started)
    if _ok(ex):
        _retire_booking(actor, url, body)


def _emsp_got(ctx: ScenarioContext, booking_id: str, method: str, since: float, until: float) -> list[Exchange]:
    emsp = ctx.harness.as_role("EMSP")
    assert emsp is not None
    base = emsp.peer_path(emsp.peer.receiver_url(MODULE)).lower()

    def match(e: Exchange) -> bool:
        path = urlsplit(e.url).path.rstrip("/").lower()
        return e.method == method and path.startswith(base + "/") and path.endswith("/" + booking_id.lower())

    return emsp.received(match, since=since, until=until)


@then("the Booking reaches none of the harness's other identities")
def booking_not_broadcast(ocpi_context: ScenarioContext) -> None:
    o = ocpi_context.objects
    answer: Exchange = o["answer"]
    require_response(answer)
    quiet = quiet_for(answer)
    got = _emsp_got(ocpi_context, o["body"]["id"], "PUT", o["since"], time.monotonic() + quiet)
    judged("booking_not_broadcast", answer)
    other = o["other"]
    ocpi_context.note(f"the hub answered {describe_answer(answer)}; the eMSP identity was watched for {quiet:.1f} s")
    if got:
        raise Finding(
            f"a Booking of eMSP {other[0]}/{other[1]}, pushed without OCPI-to-*, reached the harness's eMSP identity",
            check="booking_not_broadcast",
            spec=_ROUTING,
            expected=f"the Booking sent to {other[0]}/{other[1]} (the eMSP its request names) or kept, never to "
            "another eMSP",
            actual=f"{got[0].method} {urlsplit(got[0].url).path} at the eMSP identity",
            exchanges=[answer, *got],
        )


# ## Sender --------------------------------------------------------------------------------------


@given("the harness's CPO identity has published a BookingLocation with one Calendar through the target")
def published(ocpi_context: ScenarioContext) -> None:
    reader = ocpi_context.objects.get("actor")
    writer = _as_cpo(ocpi_context)
    if writer is None:
        return
    ocpi_context.objects["actor"] = writer
    try:
        ex, body, _ = _publish(ocpi_context, writer, "PUT a new BookingLocation for the eMSP to read")
        _needed(ocpi_context, ex, "the PUT of a new BookingLocation", creates=True)
    finally:
        ocpi_context.objects["actor"] = reader
    ocpi_context.objects["published"] = body


def _read_locations(
    ctx: ScenarioContext, params: dict[str, str], what: str
) -> tuple[list[Exchange], list[dict[str, Any]]]:
    actor = _actor(ctx)
    url = endpoint_url(actor.url, "booking_locations")
    pages, listed = read_pages(lambda query: actor.send("GET", url, params=query, label=f"GET {what}"), params)
    return pages, [x for x in listed if not ob.from_another_run(x, actor.session.run_tag)]


@when("the harness reads the BookingLocations list, then one BookingLocation and one of its Calendars alone")
def read_booking_locations(ocpi_context: ScenarioContext) -> None:
    actor = _actor(ocpi_context)
    pages, listed = _read_locations(ocpi_context, {}, "the BookingLocations the target lists")
    mine = ocpi_context.objects.get("published")
    chosen = next((x for x in listed if mine and x.get("id") == mine["id"]), None)
    chosen = chosen or next((x for x in listed if x.get("calendars")), None)
    if chosen is None:
        pytest.skip(
            f"the target lists no BookingLocation with a Calendar ({len(listed)} listed): nothing to read alone"
        )
    calendar = chosen["calendars"][0]
    one = actor.send(
        "GET", endpoint_url(actor.url, f"booking_locations/{chosen['id']}"), label="GET one BookingLocation"
    )
    cal = actor.send(
        "GET",
        endpoint_url(actor.url, f"booking_locations/{chosen['id']}/{calendar.get('id')}"),
        label="GET one Calendar",
    )
    ocpi_context.objects.update(
        pages=pages,
        chosen=chosen,
        single=[
            ("/booking_locations/{booking_location_id}", "BookingLocation", chosen, one),
            ("/booking_locations/{booking_location_id}/{calendar_id}", "Calendar", calendar, cal),
        ],
    )


@then("each answer matches openapi.yaml, and each single object is the one listed")
def booking_locations_valid(ocpi_context: ScenarioContext) -> None:
    o = ocpi_context.objects
    oracle = get_oracle()
    listing = oracle.find(MODULE, "SENDER", "GET", "/booking_locations")

    def judge(item: tuple[str, str, dict[str, Any], Exchange]) -> None:
        suffix, what, listed_obj, ex = item
        _accepted(ex, f"the GET of {what}", _SENDER, ocpi_context)
        if suffix == "/booking_locations":
            run_check("response_schema", ex, operation=listing)
            return
        run_check("response_schema", ex, operation=oracle.find(MODULE, "SENDER", "GET", suffix))
        data = one_object(ex) or {}
        if data.get("id") != listed_obj.get("id"):
            _fail(
                f"the GET of one {what} did not return that {what}",
                [ex],
                spec=_SENDER,
                expected=f"id {listed_obj.get('id')}",
                actual=f"id {data.get('id')}",
                check="single_object",
            )

    items: list[tuple[str, str, dict[str, Any], Exchange]] = [
        ("/booking_locations", f"page {n + 1} of the list", {}, p) for n, p in enumerate(o["pages"])
    ]
    collect_findings([*items, *o["single"]], judge, lambda i: i[1], ocpi_context.notes)


@when("the harness reads the BookingLocations list with timeslot_from and timeslot_to around one free timeslot")
def read_window(ocpi_context: ScenarioContext) -> None:
    mine = ocpi_context.objects.get("published")
    if mine is None:
        pytest.skip("the harness published no BookingLocation of its own: it knows no timeslot to filter around")
    slot = mine["calendars"][0]["available_timeslots"][1]
    window = {"timeslot_from": slot["start_date_time"], "timeslot_to": slot["end_date_time"]}
    pages, listed = _read_locations(
        ocpi_context,
        window,
        f"the BookingLocations with timeslots from {window['timeslot_from']} to {window['timeslot_to']}",
    )
    ocpi_context.objects.update(pages=pages, listed=listed, window=window)


@then("every Calendar listed keeps only available timeslots within that window")
def window_kept(ocpi_context: ScenarioContext) -> None:
    o = ocpi_context.objects
    pages: list[Exchange] = o["pages"]
    first = pages[0]
    _accepted(first, "the GET of the BookingLocations list with a timeslot window", _SENDER, ocpi_context)
    start, end = o["window"]["timeslot_from"], o["window"]["timeslot_to"]
    outside: list[str] = []
    slots = 0
    for place in o["listed"]:
        for calendar in place.get("calendars") or []:
            for slot in (calendar.get("available_timeslots") or []) if isinstance(calendar, dict) else []:
                slots += 1
                s, e = slot.get("start_date_time"), slot.get("end_date_time")
                if not isinstance(s, str) or not isinstance(e, str):  # not a 1.1 Timeslot: the data model's finding
                    raise Blocked(
                        f"BookingLocation {place.get('id')} lists a timeslot without start_date_time/end_date_time",
                        "bookings.sender-booking-locations",
                    )
                if s[:19] < start[:19] or e[:19] > end[:19]:
                    outside.append(f"{place.get('id')}/{calendar.get('id')}: {s} to {e}")
    judged("timeslot_window", first)
    ocpi_context.note(f"{len(o['listed'])} BookingLocation(s), {slots} timeslot(s) listed for [{start}, {end})")
    if outside:
        _fail(
            f"{len(outside)} available timeslot(s) outside [{start}, {end}) were listed",
            pages,
            spec=_SENDER,
            expected="only available timeslots that start at or after timeslot_from and end at or before timeslot_to",
            actual="; ".join(outside[:6]),
            check="timeslot_window",
        )


# ## a booking through a hub ---------------------------------------------------------------------


@when("the harness's eMSP identity requests a booking from its CPO identity through the hub")
def request_booking(ocpi_context: ScenarioContext) -> None:
    actor = _actor(ocpi_context)  # the eMSP identity at the hub's bookings Sender
    harness = ocpi_context.harness
    cpo_ident = harness.config.identity_for("CPO")
    if cpo_ident is None:
        pytest.skip('target.toml gives no CPO identity to book from (add an [[identities]] table with role = "CPO")')
    cpo = (cpo_ident.party.country_code, cpo_ident.party.party_id)
    request_id = _new_id(actor, "Request")
    place = ob.booking_location(cpo[0], cpo[1], f"{request_id}P", updated=ob.now(-120))
    request = ob.booking_request(actor.party, request_id, place, start=ob.now(86400), end=ob.now(90000))
    ex = _write(
        ocpi_context, "POST", actor.url, request, f"POST a BookingRequest {request_id} to {cpo[0]}/{cpo[1]}", to=cpo
    )
    require_response(ex)
    _undeliverable(ocpi_context, ex)
    booking = one_object(ex) if _ok(ex) else None
    if not isinstance(booking, dict) or not isinstance(booking.get("id"), str):
        _fail(
            "a BookingRequest addressed to the harness's CPO identity was not answered with its Booking",
            [ex],
            spec=_ROUTING,
            expected="HTTP 200/201, status_code 1000 and the Booking the CPO answered",
            actual=describe_answer(ex),
            check="booking_relayed",
        )
    assert isinstance(booking, dict)
    # the eMSP keeps the Booking it was answered with, as a Receiver of that CPO's later changes would
    emsp = actor.session
    path = emsp.peer_path(endpoint_url(emsp.peer.receiver_url(MODULE), f"{cpo[0]}/{cpo[1]}/{booking['id']}"))
    with emsp.peer._lock:
        emsp.peer.state.objects[path] = dict(booking)
    ocpi_context.objects.update(request=ex, booking=booking, cpo=cpo)


@when("the harness's CPO identity PATCHes that Booking to RESERVED, naming no receiver")
def patch_reserved(ocpi_context: ScenarioContext) -> None:
    o = ocpi_context.objects
    harness = ocpi_context.harness
    cpo = harness.as_role("CPO")
    url = harness.discover().url(MODULE, "RECEIVER")
    if cpo is None or url is None:
        pytest.skip("the CPO identity cannot reach the target's bookings Receiver")
    writer = Actor(cpo, MODULE, url)
    booking = o["booking"]
    target = endpoint_url(url, f"{booking['country_code']}/{booking['party_id']}/{booking['id']}")
    body = {
        "reservation_status": "RESERVED",
        "booking_requests": [{**booking["booking_requests"][0], "request_status": "ACCEPTED"}],
        "last_updated": ob.now(),
    }
    headers = {k: v for k, v in writer.headers("PATCH").items() if not k.startswith("OCPI-to-")}
    ex = cpo.client.request(
        "PATCH",
        target,
        token=cpo.token,
        json_body=body,
        headers=headers,
        label=f"PATCH Booking {booking['id']} to RESERVED (no OCPI-to-*)",
    )
    _retire_booking(writer, target, booking)
    o.update(patch=ex, since=ex.started)


@then("the PATCH reaches the harness's eMSP identity, and the hub lists the Booking to it")
def booking_followed(ocpi_context: ScenarioContext) -> None:
    o = ocpi_context.objects
    patch: Exchange = o["patch"]
    require_response(patch)
    booking = o["booking"]
    got = _emsp_got(
        ocpi_context, booking["id"], "PATCH", o["since"], time.monotonic() + ocpi_context.harness.config.timeout
    )
    judged("booking_followed", patch)
    if not got:
        raise Finding(
            "the CPO's PATCH of a Booking the hub relayed to the harness's eMSP identity did not reach that eMSP",
            check="booking_followed",
            spec=_ROUTING,
            expected="the PATCH at the eMSP identity's bookings Receiver (the eMSP that requested the Booking)",
            actual=f"the hub answered the CPO {describe_answer(patch)}; nothing arrived",
            exchanges=[o["request"], patch],
        )
    ocpi_context.evidence.append(got[0])
    actor = _actor(ocpi_context)
    pages, listed = read_pages(
        lambda query: actor.send("GET", actor.url, params=query, label="GET the Bookings the hub lists to the eMSP"),
        {"date_from": ob.now(-3600)},
    )
    if not any(b.get("id") == booking["id"] for b in listed):
        raise Finding(
            "the hub does not list to the eMSP the Booking it relayed to it",
            check="booking_followed",
            spec=_ROUTING,
            expected=f"Booking {booking['id']} in the hub's bookings list read by the eMSP that requested it",
            actual=f"{len(listed)} Booking(s) listed, not that one",
            exchanges=[o["request"], *pages],
        )
