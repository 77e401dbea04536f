"""Bookings (1.1): what the catalogue rows cannot say.

Two rows carry the objects: ``bookings.booking_locations`` (a CPO's BookingLocations, their Calendars one segment
deeper, published and broadcast to eMSP-like parties like Locations) and ``bookings`` (a CPO's Bookings, read by
the CPO and the eMSP that requested each, whose first request names it). This file adds:

- **BookingRequests** (``POST {bookings}``, the CPO's Sender): an eMSP's request, change or cancellation, for itself
  only (the request's ``country_code``/``party_id`` is ``OCPI-from-*``). It goes to the CPO in ``OCPI-to-*``, else
  (open routing) to the CPO whose BookingLocation it names in the hub's copy (ids are unique per CPO only: when
  several CPOs have it, the one whose BookingLocation is at the request's ``location_id``), else to the CPO of its
  Location; 4001 when the hub cannot tell. The CPO's answer is relayed as it came, and the Booking in it is kept
  (unless the hub already holds a newer state of it), so the CPO's later PUT or PATCH without ``OCPI-to-*`` reaches
  that eMSP and the eMSP finds it in the hub's list.
- **Bookings 1.0 bodies are refused** (2001, naming the 1.0 fields and their 1.1 names): 1.0 and 1.1 share the
  VersionNumber and the ModuleID, and a 1.0 body that also decodes as 1.1 would lose its 1.0 fields without a word.
- **The BookingLocations list's ``timeslot_from``/``timeslot_to``**: each Calendar keeps only the available
  timeslots within [``timeslot_from``, ``timeslot_to``) (starting at or after the one, ending at or before the
  other), and a Calendar left without any is left out; every BookingLocation is still listed (the filter is on
  timeslots; ``date_from``/``date_to`` filter BookingLocations).
- A Booking id ``booking_locations`` is refused: its URL would be a BookingLocation's.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import msgspec

from reference_hub.faults import Fault
from reference_hub.hub.catalogue import SPECS, spec_for
from reference_hub.hub.directory import party_key, roles_of
from reference_hub.hub.frontdoor import (
    Exchange,
    FrontDoor,
    Handler,
    Reply,
    decode_data,
    receiver_object,
    relay,
    sender_list,
    sender_object,
)
from reference_hub.hub.objects import Requester, object_key, same_id
from reference_hub.hub.pages import query_datetime
from reference_hub.ocpi.datetime import DateTime
from reference_hub.ocpi.errors import GenericClientError, InvalidOrMissingParameters, OcpiError, UnknownReceiver
from reference_hub.ocpi.models import Booking, BookingRequest, Role
from reference_hub.store import Conflict
from reference_hub.store.page import Page

log = logging.getLogger("reference_hub.routing")

BOOKINGS = SPECS["bookings"]
BOOKING_LOCATIONS = SPECS["bookings.booking_locations"]
LOCATIONS = SPECS["locations"]

_V10_NAMES = {
    "bookable_parking_option": "booking_option",
    "bookable_parking_options": "booking_option",
    "bookable": "policy",
    "tariff_id": "tariff_ids",
    "access_methods": "access_information",
    "location_access": "method",
    "step_size": "timeslot_increment",
    "start_from": "start_date_time",
    "RFID_auth_required": "rfid_auth_required",
}
"""Field names only Bookings 1.0 has, at any depth of a body, and what 1.1 calls them (a 1.0 Timeslot's
``end_before`` is not among them: a 1.1 Calendar has one; ``start_from`` beside it gives a 1.0 Timeslot away)."""
_V10_TOP = {
    "evse_uid": "booking_option.evse_uid",
    "connector_id": "booking_option.connector_id",
    "parking_id": "booking_option.parking_id",
}
"""Bookings 1.0 fields of a BookingLocation, Booking or BookingRequest that 1.1 moved into ``booking_option``."""
_AS_V10 = {"timeslot_increment": "step_size", "start_date_time": "start_from", "end_date_time": "end_before"}
"""Fault ``bookings_10_emitted``: the 1.1 names a Sender answer gives their 1.0 names."""
_SAME_ID = 10
"""BookingLocations with one id looked at across CPOs: more than enough to see that the id is ambiguous."""


def bookings_10_fields(doc: Any) -> list[str]:
    """The Bookings 1.0 fields in a body, each with its 1.1 name (empty: nothing of 1.0 in it)."""
    found = {f"{name} (1.1: {_V10_TOP[name]})" for name in doc if name in _V10_TOP} if isinstance(doc, dict) else set()
    stack = [doc]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            for name, value in item.items():
                if name in _V10_NAMES:
                    found.add(f"{name} (1.1: {_V10_NAMES[name]})")
                if isinstance(value, dict | list):
                    stack.append(value)
    return sorted(found)


def refuse_bookings_10(door: FrontDoor, raw: bytes) -> None:
    """2001 for a Bookings 1.0 body, saying so (a body that is not JSON is left to the strict decoder)."""
    if Fault.BOOKINGS_10_ACCEPTED in door.faults or not raw:
        return
    try:
        doc = msgspec.json.decode(raw)
    except (msgspec.DecodeError, RecursionError):
        return
    found = bookings_10_fields(doc)
    if found:
        raise InvalidOrMissingParameters(
            f"a Bookings 1.0 body ({', '.join(found)}): this hub speaks Bookings 1.1, which renamed or moved these "
            "fields; send the 1.1 form"
        )


# --- the CPO's pushes (the eMSP's Receiver) --------------------------------------------------------------------------


async def receiver_write(door: FrontDoor, ex: Exchange) -> Reply:
    """A PUT or PATCH of a BookingLocation, a Calendar or a Booking: the generic Receiver write, for 1.1 bodies."""
    refuse_bookings_10(door, ex.body)
    spec = spec_for(ex.op)
    if spec is BOOKINGS:
        if same_id(ex.params["booking_id"], "booking_locations"):
            raise InvalidOrMissingParameters(
                "a Booking cannot have the id booking_locations: that is where BookingLocations are"
            )
        if Fault.BOOKING_BROADCAST in door.faults:
            spec = dataclasses.replace(BOOKINGS, broadcast_to=frozenset({Role.EMSP}))
    return await receiver_object(door, ex, spec)


# --- the eMSP's requests (the CPO's Sender) --------------------------------------------------------------------------


async def cpo_of(door: FrontDoor, request: BookingRequest) -> str:
    """The CPO the request is for, from the hub's copy (see the module docstring); 4001 when it cannot tell."""
    advice = "name the CPO in OCPI-to-country-code/OCPI-to-party-id"
    found = await door.store.find_objects(
        BOOKING_LOCATIONS.module, object_key(BOOKING_LOCATIONS, request.booking_location_id), limit=_SAME_ID
    )
    owners = sorted({o.owner for o in found})
    if len(owners) > 1:
        here = {o.owner for o in found if same_id(str(msgspec.json.decode(o.body)["location_id"]), request.location_id)}
        if len(here) == 1:
            return here.pop()
        raise UnknownReceiver(
            f"BookingLocation {request.booking_location_id} belongs to several CPOs ({', '.join(owners)}), "
            f"{'none' if not here else 'several'} of them at Location {request.location_id}: {advice}"
        )
    if not owners:
        owners = await door.objects.owners_of(LOCATIONS, request.location_id)
    if len(owners) == 1:
        return owners[0]
    if not owners:
        raise UnknownReceiver(
            f"the hub holds neither BookingLocation {request.booking_location_id} nor Location "
            f"{request.location_id}, so it cannot tell which CPO the request is for: {advice}"
        )
    raise UnknownReceiver(f"Location {request.location_id} belongs to several CPOs ({', '.join(owners)}): {advice}")


async def keep_answer(door: FrontDoor, cpo: str, emsp: str, body: bytes) -> None:
    """The Booking a CPO answered a request with, kept as the CPO's (readable by the eMSP), unless the hub already
    holds a newer state of it (the CPO's decision may overtake its answer)."""
    data = decode_data(body)
    if not isinstance(data, dict):
        return
    try:
        booking: Booking = door.codec.decode(msgspec.json.encode(data), Booking)
    except OcpiError as exc:
        log.info("not keeping the Booking %s answered with: %s", cpo, exc.message)
        return
    partner = await door.directory.serving(cpo)
    if partner is None or party_key(booking.country_code, booking.party_id) != cpo:
        return
    writer = Requester(partner=partner, party=cpo, roles=roles_of(partner, cpo))
    key = object_key(BOOKINGS, booking.id)
    for _ in range(5):
        current = await door.store.get_object(BOOKINGS.module, cpo, key)
        if current is not None and current.last_updated > booking.last_updated:
            return
        try:
            await door.objects.write(BOOKINGS, writer, cpo, key, booking, current, audience=emsp)
            return
        except Conflict:
            continue


async def request_booking(door: FrontDoor, ex: Exchange) -> Reply:
    """An eMSP's BookingRequest: to its CPO, the answer relayed and its Booking kept."""
    who, to = await door.requester(ex)
    refuse_bookings_10(door, ex.body)
    request: BookingRequest = door.codec.decode(ex.body, BookingRequest)
    if Role.EMSP not in who.roles:
        raise GenericClientError(
            f"booking requests are an EMSP's; party {who.party} is registered as "
            f"{', '.join(sorted(r.value for r in who.roles))}"
        )
    requester = party_key(request.country_code, request.party_id)
    if requester != who.party:
        raise InvalidOrMissingParameters(
            f"the BookingRequest names {requester} as the requesting eMSP but comes from {who.party} (OCPI-from-*)"
        )
    cpo = to or await cpo_of(door, request)
    relayed = await door.forward(ex, who, cpo, ex.body)
    if relayed.succeeded and Fault.BOOKING_ANSWER_NOT_KEPT not in door.faults:
        await keep_answer(door, cpo, who.party, relayed.body)
    return relay(relayed)


# --- the Sender's BookingLocations and Calendars -------------------------------------------------------------------


def _window(door: FrontDoor, ex: Exchange) -> tuple[DateTime | None, DateTime | None] | None:
    start = query_datetime(ex.query_params, "timeslot_from")
    end = query_datetime(ex.query_params, "timeslot_to")
    if (start is None and end is None) or Fault.TIMESLOT_FILTER_IGNORED in door.faults:
        return None
    return start, end


def _within(slot: dict[str, Any], start: DateTime | None, end: DateTime | None) -> bool:
    try:
        begins, ends = DateTime.parse(slot["start_date_time"]), DateTime.parse(slot["end_date_time"])
    except (KeyError, TypeError, ValueError):  # pragma: no cover - stored objects passed the strict decoder
        return False
    return (start is None or begins >= start) and (end is None or ends <= end)


def _trimmed(doc: dict[str, Any], window: tuple[DateTime | None, DateTime | None]) -> dict[str, Any]:
    """A BookingLocation with only the available timeslots within the window (a Calendar without any left out)."""
    if not doc.get("calendars"):
        return doc
    calendars = []
    for calendar in doc["calendars"]:
        slots = [s for s in calendar.get("available_timeslots") or [] if _within(s, *window)]
        if slots:
            calendars.append({**calendar, "available_timeslots": slots})
    return {**doc, "calendars": calendars}


def _as_v10(doc: Any) -> Any:
    if isinstance(doc, list):
        return [_as_v10(item) for item in doc]
    if isinstance(doc, dict):
        return {_AS_V10.get(name, name): _as_v10(value) for name, value in doc.items()}
    return doc


def _served(door: FrontDoor, raw: msgspec.Raw, window: tuple[DateTime | None, DateTime | None] | None) -> msgspec.Raw:
    emitted = Fault.BOOKINGS_10_EMITTED in door.faults
    if window is None and not emitted:
        return raw
    doc = msgspec.json.decode(raw)
    if window is not None:
        doc = _trimmed(doc, window)
    return msgspec.Raw(msgspec.json.encode(_as_v10(doc) if emitted else doc))


async def booking_locations(door: FrontDoor, ex: Exchange) -> Reply:
    """The Sender list (the hub's copy, or the CPO's own list through the hub with the query as sent)."""
    window = _window(door, ex)
    reply = await sender_list(door, ex)
    if reply.page is not None:
        page, result = reply.page
        reply.page = (page, Page(total=result.total, items=[_served(door, raw, window) for raw in result.items]))
    return reply


async def booking_location(door: FrontDoor, ex: Exchange) -> Reply:
    """One BookingLocation, or one of its Calendars, from the Sender."""
    reply = await sender_object(door, ex)
    if isinstance(reply.data, msgspec.Raw):
        reply.data = _served(door, reply.data, None)
    return reply


HANDLERS: dict[str, Handler] = {
    "bookingsSenderPostBookingRequest": request_booking,
    "bookingsSenderGetBookingLocations": booking_locations,
    "bookingsSenderGetBookingLocation": booking_location,
    "bookingsSenderGetCalendar": booking_location,
    **{
        f"bookingsReceiver{method}{what}": receiver_write
        for method in ("Put", "Patch")
        for what in ("BookingLocation", "Calendar", "Booking")
    },
}

__all__ = ("HANDLERS", "bookings_10_fields", "cpo_of")
