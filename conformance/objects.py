"""Valid OCPI objects of the version under test the harness writes to a target's Receivers, under its own party ids.

Each builder returns the smallest object that is valid for the description of the version under test (openapi.yaml
for 2.3.0, openapi-2.2.1.yaml for 2.2.1: no 2.3.0 field or shape in a 2.2.1 object; ``tests/harness/test_objects.py``
validates every one in each version), plus the few optional fields a scenario reads back. Ids carry the run's tag,
so a second run never meets the first run's objects (a CDR id, once POSTed, can never be reused). Every timestamp is
now, in the OCPI form.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from conformance import versions

__all__ = (
    "OBJECT_SCHEMAS",
    "booking",
    "booking_location",
    "booking_request",
    "calendar",
    "cdr",
    "connector",
    "evse",
    "from_another_run",
    "fullest",
    "invoice_record",
    "location",
    "now",
    "period",
    "session",
    "tariff",
    "timeslot",
    "token",
)

OBJECT_SCHEMAS = {
    "locations": "Location",
    "tariffs": "Tariff",
    "sessions": "Session",
    "cdrs": "CDR",
    "tokens": "Token",
    "invoicereconciliation": "InvoiceReconciliationRecord",
    "bookings": "BookingLocation",
}
"""Module -> openapi.yaml schema of its client-owned object."""


_RUN_ID = re.compile(r"^CT([0-9A-F]{6})[A-Z]")
"""The ids the harness gives objects: ``CT``, the run's tag, the kind's initial, a counter."""


def from_another_run(obj: Any, run_tag: str) -> bool:
    """True for an object the harness created in another run (its id carries another run's tag): such leftovers
    never decide a verdict of this run (a token an earlier run retired is not "a token the target lists as not
    valid")."""
    if not isinstance(obj, dict):
        return False
    for key in ("id", "uid"):
        m = _RUN_ID.match(str(obj.get(key, "")))
        if m:
            return m.group(1) != run_tag
    return False


def _object_schema(node: dict[str, Any], schemas: dict[str, Any]) -> tuple[dict[str, Any] | None, bool]:
    """(the object schema a property holds, or the items' schema of an array of objects; whether null is allowed)."""
    nullable = False
    while True:
        if "$ref" in node:
            node = schemas[node["$ref"].rsplit("/", 1)[-1]]
            continue
        options = node.get("anyOf") or node.get("oneOf")
        if options:
            nullable = nullable or any(o.get("type") == "null" for o in options)
            concrete = [o for o in options if o.get("type") != "null"]
            if len(concrete) != 1:
                return None, nullable
            node = concrete[0]
            continue
        if "allOf" in node and len(node["allOf"]) == 1:
            node = node["allOf"][0]
            continue
        break
    kind = node.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    nullable = nullable or "null" in kinds
    if "array" in kinds and isinstance(node.get("items"), dict):
        inner, _ = _object_schema(node["items"], schemas)
        return inner, nullable
    return (node if "properties" in node else None), nullable


def _fill(obj: dict[str, Any], schema: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    out = dict(obj)
    for name, prop in (schema.get("properties") or {}).items():
        inner, nullable = _object_schema(prop, schemas)
        if name not in out:
            if nullable:
                out[name] = None
            continue
        value = out[name]
        if inner is not None and isinstance(value, dict):
            out[name] = _fill(value, inner, schemas)
        elif inner is not None and isinstance(value, list):
            out[name] = [_fill(v, inner, schemas) if isinstance(v, dict) else v for v in value]
    return out


def fullest(module_or_schema: str, obj: dict[str, Any]) -> dict[str, Any]:
    """``obj`` with every optional field openapi.yaml defines present, at every level: the values it has, and null
    for each field it leaves out where the type allows null. The conforming object a Receiver that insists on seeing
    every field takes (some web frameworks' generated models refuse an absent optional field); the smallest one is
    what the builders above return."""
    from conformance.oracle import get_oracle

    schemas = get_oracle().document["components"]["schemas"]
    return _fill(obj, schemas[OBJECT_SCHEMAS.get(module_or_schema, module_or_schema)], schemas)


def now(offset_seconds: int = 0) -> str:
    """The current time (plus an offset) as an OCPI DateTime, whole seconds, UTC with ``Z``."""
    moment = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=offset_seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def connector(connector_id: str = "1", *, updated: str) -> dict[str, Any]:
    return {
        "id": connector_id,
        "standard": "IEC_62196_T2",
        "format": "SOCKET",
        "power_type": "AC_3_PHASE",
        "max_voltage": 230,
        "max_amperage": 32,
        "last_updated": updated,
    }


def evse(uid: str, *, updated: str, status: str = "AVAILABLE") -> dict[str, Any]:
    return {
        "uid": uid,
        "status": status,
        "connectors": [connector("1", updated=updated)],
        "last_updated": updated,
    }


def location(cc: str, pid: str, location_id: str, *, updated: str) -> dict[str, Any]:
    return {
        "country_code": cc,
        "party_id": pid,
        "id": location_id,
        "publish": False,
        "address": "Conformance Street 1",
        "city": "Testing",
        "country": "NLD",
        "coordinates": {"latitude": "52.370216", "longitude": "4.895168"},
        "evses": [evse(f"{location_id}-E1", updated=updated)],
        "time_zone": "Europe/Amsterdam",
        "last_updated": updated,
    }


def tariff(cc: str, pid: str, tariff_id: str, *, updated: str) -> dict[str, Any]:
    return {
        "country_code": cc,
        "party_id": pid,
        "id": tariff_id,
        "currency": "EUR",
        **({"tax_included": "NO"} if versions.current() == versions.V230 else {}),  # 2.2.1 has no tax_included
        "elements": [{"price_components": [{"type": "ENERGY", "price": 0.25, "step_size": 1}]}],
        "last_updated": updated,
    }


def price(amount: float) -> dict[str, Any]:
    """A Price of the version under test: 2.3.0 ``before_taxes`` + ``taxes``, 2.2.1 ``excl_vat``."""
    if versions.current() == versions.V221:
        return {"excl_vat": amount}
    return {"before_taxes": amount, "taxes": []}


def _cdr_token(emsp: tuple[str, str], uid: str) -> dict[str, Any]:
    return {"country_code": emsp[0], "party_id": emsp[1], "uid": uid, "type": "RFID", "contract_id": f"{uid}-C"}


def period(start: str, kwh: float) -> dict[str, Any]:
    return {"start_date_time": start, "dimensions": [{"type": "ENERGY", "volume": kwh}]}


def session(
    cc: str, pid: str, session_id: str, emsp: tuple[str, str], *, updated: str, periods: list[dict[str, Any]]
) -> dict[str, Any]:
    """A session of one of the harness's locations, for the harness's eMSP identity (``emsp``)."""
    return {
        "country_code": cc,
        "party_id": pid,
        "id": session_id,
        "start_date_time": periods[0]["start_date_time"] if periods else updated,
        "kwh": 0.0,
        "cdr_token": _cdr_token(emsp, f"{session_id}-T"),
        "auth_method": "WHITELIST",
        "location_id": f"{session_id}-L",
        "evse_uid": f"{session_id}-E1",
        "connector_id": "1",
        "currency": "EUR",
        "charging_periods": periods,
        "status": "ACTIVE",
        "last_updated": updated,
    }


def cdr(cc: str, pid: str, cdr_id: str, emsp: tuple[str, str], *, updated: str, kwh: float = 10.0) -> dict[str, Any]:
    return {
        "country_code": cc,
        "party_id": pid,
        "id": cdr_id,
        "start_date_time": now(-3600),
        "end_date_time": now(-60),
        "cdr_token": _cdr_token(emsp, f"{cdr_id}-T"),
        "auth_method": "WHITELIST",
        "cdr_location": {
            "id": f"{cdr_id}-L",
            "address": "Conformance Street 1",
            "city": "Testing",
            "country": "NLD",
            "coordinates": {"latitude": "52.370216", "longitude": "4.895168"},
            "evse_uid": f"{cdr_id}-E1",
            "evse_id": "NL*CTC*E1",
            "connector_id": "1",
            "connector_standard": "IEC_62196_T2",
            "connector_format": "SOCKET",
            "connector_power_type": "AC_3_PHASE",
        },
        "currency": "EUR",
        "charging_periods": [period(now(-3600), kwh)],
        "total_cost": price(round(kwh * 0.25, 2)),
        "total_energy": kwh,
        "total_time": 1.0,
        "last_updated": updated,
    }


def token(cc: str, pid: str, uid: str, *, updated: str, type_: str = "RFID", valid: bool = True) -> dict[str, Any]:
    return {
        "country_code": cc,
        "party_id": pid,
        "uid": uid,
        "type": type_,
        "contract_id": f"{cc}{pid}C{uid[-8:]}",
        "issuer": "OCPI conformance harness",
        "valid": valid,
        "whitelist": "ALLOWED",
        "last_updated": updated,
    }


# -- the add-on modules: Invoice Reconciliation (2.3.0 edition 2) and Bookings (1.1) --------------------------------


def invoice_record(cc: str, pid: str, record_id: str, cdrs: list[str], *, updated: str) -> dict[str, Any]:
    """A record of the issuer ``cc``/``pid`` naming the CDRs one invoice covers."""
    return {
        "country_code": cc,
        "party_id": pid,
        "id": record_id,
        "invoice_id": f"INV-{record_id}",
        "cdrs": list(cdrs),
        "last_updated": updated,
    }


def timeslot(start: str, end: str) -> dict[str, Any]:
    return {"start_date_time": start, "end_date_time": end}


def _hours(n: int) -> str:
    return now(n * 3600)


def calendar(calendar_id: str, *, updated: str, slots: int = 3) -> dict[str, Any]:
    """A Calendar over the next ``slots`` hours tomorrow, one free timeslot per hour (hours 24, 25, ... from now)."""
    return {
        "id": calendar_id,
        "begin_from": _hours(24),
        "end_before": _hours(24 + slots),
        "available_timeslots": [timeslot(_hours(24 + n), _hours(25 + n)) for n in range(slots)],
        "last_updated": updated,
    }


def _terms() -> dict[str, Any]:
    return {"supported_access_methods": ["OPEN"], "change_until_minutes": 60, "cancel_until_minutes": 60}


def booking_location(cc: str, pid: str, booking_location_id: str, *, updated: str) -> dict[str, Any]:
    """A BookingLocation of the CPO ``cc``/``pid`` with one Calendar (``{id}-C1``, three free hours tomorrow)."""
    return {
        "country_code": cc,
        "party_id": pid,
        "id": booking_location_id,
        "location_id": f"{booking_location_id}-L",
        "booking_terms": _terms(),
        "calendars": [calendar(f"{booking_location_id}-C1", updated=updated)],
        "last_updated": updated,
    }


def booking_request(
    emsp: tuple[str, str], request_id: str, booking_location: dict[str, Any], *, start: str, end: str
) -> dict[str, Any]:
    """The eMSP ``emsp``'s request to book ``booking_location`` from ``start`` to ``end``."""
    return {
        "country_code": emsp[0],
        "party_id": emsp[1],
        "request_id": request_id,
        "location_id": booking_location["location_id"],
        "booking_location_id": booking_location["id"],
        "period": {"start_date_time": start, "end_date_time": end},
        "authorization_reference": f"{request_id}-A",
    }


def booking(
    cc: str, pid: str, booking_id: str, request: dict[str, Any], *, updated: str, status: str = "PENDING"
) -> dict[str, Any]:
    """The CPO ``cc``/``pid``'s Booking answering ``request`` (its one request entry PENDING, or ACCEPTED once the
    Booking is RESERVED)."""
    return {
        "id": booking_id,
        "country_code": cc,
        "party_id": pid,
        "request_id": request["request_id"],
        "location_id": request["location_id"],
        "period": timeslot(request["period"]["start_date_time"], request["period"]["end_date_time"]),
        "reservation_status": status,
        "authorization_reference": request["authorization_reference"],
        "booking_terms": _terms(),
        "booking_requests": [
            {
                "request_status": "ACCEPTED" if status == "RESERVED" else "PENDING",
                "booking_request": request,
                "request_received": updated,
            }
        ],
        "last_updated": updated,
    }
