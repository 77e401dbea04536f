"""Example OCPI 2.3.0 objects shaped like the specification's examples, for tests that push and read them back."""

from __future__ import annotations

from typing import Any


def connector(connector_id: str = "1", *, updated: str = "2015-03-16T10:10:02Z") -> dict[str, Any]:
    return {
        "id": connector_id,
        "standard": "IEC_62196_T2",
        "format": "CABLE",
        "power_type": "AC_3_PHASE",
        "max_voltage": 220,
        "max_amperage": 16,
        "tariff_ids": ["11"],
        "last_updated": updated,
    }


def evse(uid: str = "3256", *, updated: str = "2015-06-28T08:12:01Z", status: str = "AVAILABLE") -> dict[str, Any]:
    return {
        "uid": uid,
        "evse_id": f"BE*BEC*E04{uid}",
        "status": status,
        "status_schedule": [],
        "capabilities": ["RESERVABLE"],
        "connectors": [connector("1"), connector("2")],
        "physical_reference": "1",
        "floor_level": "-1",
        "last_updated": updated,
    }


def location(cc: str, pid: str, location_id: str = "LOC1", *, updated: str = "2015-06-29T20:39:09Z") -> dict[str, Any]:
    return {
        "country_code": cc,
        "party_id": pid,
        "id": location_id,
        "publish": True,
        "name": "Gent Zuid",
        "address": "F.Rooseveltlaan 3A",
        "city": "Gent",
        "postal_code": "9000",
        "country": "BEL",
        "coordinates": {"latitude": "51.047599", "longitude": "3.729944"},
        "parking_type": "ON_STREET",
        "evses": [evse("3256"), evse("3257", status="RESERVED")],
        "operator": {"name": "BeCharged"},
        "time_zone": "Europe/Brussels",
        "last_updated": updated,
    }


def tariff(cc: str, pid: str, tariff_id: str = "12", *, updated: str = "2015-06-29T20:39:09Z") -> dict[str, Any]:
    return {
        "country_code": cc,
        "party_id": pid,
        "id": tariff_id,
        "currency": "EUR",
        "tax_included": "NO",
        "elements": [{"price_components": [{"type": "TIME", "price": 2.00, "vat": 10.0, "step_size": 300}]}],
        "last_updated": updated,
    }


def cdr_token(emsp_cc: str, emsp_pid: str, uid: str = "012345678") -> dict[str, Any]:
    return {
        "country_code": emsp_cc,
        "party_id": emsp_pid,
        "uid": uid,
        "type": "RFID",
        "contract_id": "DE8ACC12E46L89",
    }


def period(start: str, kwh: float) -> dict[str, Any]:
    return {"start_date_time": start, "dimensions": [{"type": "ENERGY", "volume": kwh}], "tariff_id": "12"}


def session(
    cc: str, pid: str, emsp_cc: str, emsp_pid: str, session_id: str = "101", *, updated: str = "2015-06-29T22:39:09Z"
) -> dict[str, Any]:
    return {
        "country_code": cc,
        "party_id": pid,
        "id": session_id,
        "start_date_time": "2015-06-29T22:39:09Z",
        "kwh": 0.0,
        "cdr_token": cdr_token(emsp_cc, emsp_pid),
        "auth_method": "WHITELIST",
        "location_id": "LOC1",
        "evse_uid": "3256",
        "connector_id": "1",
        "currency": "EUR",
        "charging_periods": [period("2015-06-29T22:39:09Z", 0.0)],
        "status": "PENDING",
        "last_updated": updated,
    }


def cdr(
    cc: str, pid: str, emsp_cc: str, emsp_pid: str, cdr_id: str = "12345", *, updated: str = "2015-06-29T22:01:13Z"
) -> dict[str, Any]:
    return {
        "country_code": cc,
        "party_id": pid,
        "id": cdr_id,
        "start_date_time": "2015-06-29T21:39:09Z",
        "end_date_time": "2015-06-29T23:37:32Z",
        "cdr_token": cdr_token(emsp_cc, emsp_pid),
        "auth_method": "WHITELIST",
        "cdr_location": {
            "id": "LOC1",
            "name": "Gent Zuid",
            "address": "F.Rooseveltlaan 3A",
            "city": "Gent",
            "postal_code": "9000",
            "country": "BEL",
            "coordinates": {"latitude": "3.729944", "longitude": "51.047599"},
            "evse_uid": "3256",
            "evse_id": "BE*BEC*E041503003",
            "connector_id": "1",
            "connector_standard": "IEC_62196_T2",
            "connector_format": "SOCKET",
            "connector_power_type": "AC_1_PHASE",
        },
        "currency": "EUR",
        "charging_periods": [period("2015-06-29T21:39:09Z", 15.342)],
        "total_cost": {"before_taxes": 4.00, "taxes": [{"name": "VAT", "amount": 0.40, "percentage": 10.0}]},
        "total_energy": 15.342,
        "total_time": 1.973,
        "last_updated": updated,
    }


def token(
    cc: str, pid: str, uid: str = "012345678", *, type_: str = "RFID", whitelist: str = "ALLOWED", valid: bool = True
) -> dict[str, Any]:
    return {
        "country_code": cc,
        "party_id": pid,
        "uid": uid,
        "type": type_,
        "contract_id": "DE8ACC12E46L89",
        "visual_number": "DF000-2001-8999-1",
        "issuer": "TheNewMotion",
        "group_id": "DF000-2001-8999",
        "valid": valid,
        "whitelist": whitelist,
        "language": "it",
        "default_profile_type": "GREEN",
        "energy_contract": {"supplier_name": "Greenpeace Energy eG", "contract_id": "0123456789"},
        "last_updated": "2018-12-10T17:25:10Z",
    }


def ir_record(
    cc: str,
    pid: str,
    record_id: str,
    cdrs: list[str],
    *,
    invoice_id: str = "INV-1",
    updated: str = "2026-02-01T00:00:00Z",
) -> dict[str, Any]:
    """An Invoice Reconciliation record of the issuer ``cc``/``pid`` (no official example exists)."""
    return {
        "country_code": cc,
        "party_id": pid,
        "id": record_id,
        "invoice_id": invoice_id,
        "cdrs": cdrs,
        "last_updated": updated,
    }


def timeslot(start: str, end: str) -> dict[str, Any]:
    return {"start_date_time": start, "end_date_time": end, "max_power": 22000.0}


def calendar(calendar_id: str, slots: list[dict[str, Any]], *, updated: str = "2026-03-01T00:00:00Z") -> dict[str, Any]:
    return {
        "id": calendar_id,
        "begin_from": "2026-03-01T00:00:00Z",
        "end_before": "2026-04-01T00:00:00Z",
        "timeslot_increment": 15,
        "available_timeslots": slots,
        "last_updated": updated,
    }


def booking_terms() -> dict[str, Any]:
    return {"supported_access_methods": ["OPEN"], "change_until_minutes": 60, "cancel_until_minutes": 30}


def booking_location(
    cc: str,
    pid: str,
    booking_location_id: str = "BL1",
    location_id: str = "LOC1",
    calendars: list[dict[str, Any]] | None = None,
    *,
    updated: str = "2026-03-01T00:00:00Z",
) -> dict[str, Any]:
    """A Bookings 1.1 BookingLocation, by default with one Calendar of two free timeslots on 2026-03-10."""
    if calendars is None:
        calendars = [
            calendar(
                "CAL1",
                [
                    timeslot("2026-03-10T08:00:00Z", "2026-03-10T10:00:00Z"),
                    timeslot("2026-03-10T14:00:00Z", "2026-03-10T16:00:00Z"),
                ],
            )
        ]
    return {
        "country_code": cc,
        "party_id": pid,
        "id": booking_location_id,
        "location_id": location_id,
        "booking_option": {"evse_uid": "3256", "connector_id": "1", "vehicle_types": ["PERSONAL_VEHICLE"]},
        "policy": {"reservation_required": False, "ad_hoc": 1},
        "tariff_ids": ["12"],
        "booking_terms": booking_terms(),
        "calendars": calendars,
        "last_updated": updated,
    }


def booking_request(
    emsp_cc: str,
    emsp_pid: str,
    request_id: str = "REQ1",
    *,
    booking_location_id: str = "BL1",
    location_id: str = "LOC1",
    start: str = "2026-03-10T08:00:00Z",
    end: str = "2026-03-10T09:00:00Z",
) -> dict[str, Any]:
    """An eMSP's Bookings 1.1 BookingRequest for a period of a BookingLocation."""
    return {
        "country_code": emsp_cc,
        "party_id": emsp_pid,
        "request_id": request_id,
        "location_id": location_id,
        "booking_location_id": booking_location_id,
        "tokens": [
            {"country_code": emsp_cc, "party_id": emsp_pid, "uid": "012345678", "type": "RFID", "contract_id": "C1"}
        ],
        "period": {"start_date_time": start, "end_date_time": end},
        "authorization_reference": f"AUTH-{request_id}",
    }


def booking(
    cc: str,
    pid: str,
    booking_id: str,
    request: dict[str, Any],
    *,
    status: str = "PENDING",
    request_status: str = "PENDING",
    updated: str = "2026-03-05T00:00:00Z",
) -> dict[str, Any]:
    """The CPO's Booking for ``request`` (a BookingRequest), in ``status``."""
    return {
        "id": booking_id,
        "country_code": cc,
        "party_id": pid,
        "request_id": request["request_id"],
        "location_id": request["location_id"],
        "booking_tokens": request.get("tokens", []),
        "period": {**request["period"]},
        "reservation_status": status,
        "authorization_reference": request["authorization_reference"],
        "booking_terms": booking_terms(),
        "booking_requests": [
            {"request_status": request_status, "booking_request": request, "request_received": "2026-03-05T00:00:00Z"}
        ],
        "last_updated": updated,
    }
