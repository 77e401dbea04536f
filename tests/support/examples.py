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
