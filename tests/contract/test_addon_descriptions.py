"""Invoice Reconciliation and Bookings in openapi.yaml: the official Bookings 1.1 examples validate and decode into the
generated models (each exclusion names the specification's own defect and is shown to be the only reason), invalid
objects are refused by both, and the two modules are described in full and served by the hub.

There are no official Invoice Reconciliation examples (the module's only sample payloads sit in two sequence
diagrams, and those are wrong: addons.md IR-S4), so its positive vectors are made here from the object table.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from reference_hub.ocpi import models
from tests.contract.descriptions import (
    description,
    examples_dir,
    load_example,
    refused_by_models,
    round_trip,
    schema_errors,
)

SPEC = "openapi.yaml"
METHODS = ("get", "put", "patch", "post", "delete")
ROUTING_PARAMS = {"OcpiToPartyId", "OcpiToCountryCode", "OcpiFromPartyId", "OcpiFromCountryCode"}

# -- the official Bookings 1.1 examples ------------------------------------------------------------------------------

BOOKINGS_EXAMPLES = {
    "booking_example.json": "Booking",
    "booking_location_example.json": "BookingLocation",
    "booking_location_patch_example_calendar.json": "CalendarPatch",
    "booking_location_patch_example_terms.json": "BookingLocationPatch",
    "booking_patch_example_evse_uid.json": "BookingPatch",
    "booking_patch_example_status_update.json": "BookingPatch",
    "booking_request_patch_example_timeslot.json": None,
    "booking_request_patch_example_tokens.json": None,
    "location_example.json": "Location",
    "location_example_parking_garage_opening_hours.json": "Location",
    "location_example_uc2_destination_charger.json": "Location",
    "location_example_uc3_destination_charger_not_published.json": "Location",
    "location_example_uc4_limited_visibility.json": "Location",
}
"""Every file of the Bookings 1.1 examples folder and the schema it is an instance of (None: no operation takes it)."""


@dataclass(frozen=True)
class Defect:
    """Why an official example is not a positive test vector, and the smallest change that mends exactly that."""

    reason: str
    mend: Callable[[Any], None]


def _mend_booking(example: Any) -> None:
    example["party_id"] = "INF"
    for token in example["booking_tokens"]:
        token["party_id"] = "INF"
    for entry in example["booking_requests"]:
        entry["booking_request"]["party_id"] = "INF"
        entry["booking_request"]["booking_location_id"] = "BL1"


def _fix_seconds(text: str) -> str:
    return text.replace(":99Z", ":59Z")


def _mend_booking_location(example: Any) -> None:
    option = example["booking_option"]
    option["connector_format"] = option.pop("formats")
    option["evse_position"] = [option["evse_position"]]
    for number, calendar in enumerate(example["calendars"]):
        calendar["id"] = f"CA11{number}"
        calendar["end_before"] = _fix_seconds(calendar["end_before"])
        for slot in calendar["available_timeslots"]:
            slot["end_date_time"] = _fix_seconds(slot["end_date_time"])


def _mend_calendar_patch(example: Any) -> None:
    example["available_timeslots"] = [
        {key.strip(): _fix_seconds(value) if isinstance(value, str) else value for key, value in slot.items()}
        for slot in example["available_timeslots"]
    ]


def _mend_terms_patch(example: Any) -> None:
    example["booking_terms"].update(
        supported_access_methods=["TOKEN"], change_until_minutes=60, cancel_until_minutes=60
    )


def _mend_evse_parking(example: Any) -> None:
    for evse in example["evses"]:
        evse["parking"] = [{"parking_id": parking_id} for parking_id in evse.get("parking", [])]


DEFECTS = {
    "booking_example.json": Defect(
        "addons.md BK-S8: party ids INF12 and INFOO are longer than 3, and the embedded BookingRequests lack the "
        "required booking_location_id",
        _mend_booking,
    ),
    "booking_location_example.json": Defect(
        "addons.md BK-S8: `formats` instead of connector_format, evse_position a string instead of a list, times like "
        "23:59:99Z, two Calendars with the same id",
        _mend_booking_location,
    ),
    "booking_location_patch_example_calendar.json": Defect(
        'addons.md BK-S8: timeslot keys with a trailing space (`"start_date_time "`) and times like 08:59:99Z',
        _mend_calendar_patch,
    ),
    "booking_location_patch_example_terms.json": Defect(
        "not in addons.md: the PATCH replaces booking_terms with a BookingTerms lacking supported_access_methods, "
        "change_until_minutes and cancel_until_minutes, which BookingTerms requires (addons.md §2.4, BK-12)",
        _mend_terms_patch,
    ),
    "location_example.json": Defect(
        "modules.md §15.1 #5: EVSE.parking as plain strings; the object table (and the edition-2 examples) use "
        "EVSEParking objects. The Bookings branch keeps the edition-1 examples",
        _mend_evse_parking,
    ),
    "location_example_parking_garage_opening_hours.json": Defect(
        "modules.md §15.1 #5: EVSE.parking as plain strings instead of EVSEParking objects", _mend_evse_parking
    ),
}
NOT_A_BOOKING_FIELD = {
    "booking_patch_example_evse_uid.json": "addons.md BK-S7: PATCHes a top-level evse_uid, which a 1.1 Booking does "
    "not have (it moved into booking_option); valid only because unknown fields are tolerated",
}
NO_SUCH_OPERATION = {
    "booking_request_patch_example_timeslot.json": "addons.md BK-S7: a PATCH of a BookingRequest (no such operation; "
    "a change is a new BookingRequest POSTed with the same request_id)",
    "booking_request_patch_example_tokens.json": "addons.md BK-S7: a PATCH of a BookingRequest (no such operation)",
}
POSITIVE = sorted(set(BOOKINGS_EXAMPLES) - set(DEFECTS) - set(NOT_A_BOOKING_FIELD) - set(NO_SUCH_OPERATION))


def test_every_bookings_example_is_judged() -> None:
    """A new or renamed example file must be classified here, not silently skipped."""
    folder = examples_dir("bookings-1.1")
    assert sorted(p.name for p in folder.glob("*.json")) == sorted(BOOKINGS_EXAMPLES)
    assert POSITIVE, "no example left to validate"


@pytest.mark.parametrize("name", POSITIVE)
def test_official_bookings_example_validates_and_decodes_without_loss(name: str) -> None:
    example = load_example(examples_dir("bookings-1.1"), name)
    schema = BOOKINGS_EXAMPLES[name]
    assert schema is not None
    assert schema_errors(SPEC, schema, example) == []
    assert round_trip(models, schema, example) == example


@pytest.mark.parametrize("name", sorted(DEFECTS))
def test_excluded_bookings_example_fails_only_for_its_named_defect(name: str) -> None:
    example = load_example(examples_dir("bookings-1.1"), name)
    schema = BOOKINGS_EXAMPLES[name]
    assert schema is not None
    assert schema_errors(SPEC, schema, example), f"{name} validates now: drop its exclusion ({DEFECTS[name].reason})"
    mended = copy.deepcopy(example)
    DEFECTS[name].mend(mended)
    assert schema_errors(SPEC, schema, mended) == [], DEFECTS[name].reason
    assert round_trip(models, schema, mended) == mended


def test_booking_patch_of_a_top_level_evse_uid_changes_nothing_a_booking_has() -> None:
    example = load_example(examples_dir("bookings-1.1"), "booking_patch_example_evse_uid.json")
    assert "evse_uid" not in description(SPEC)["components"]["schemas"]["Booking"]["properties"]
    assert schema_errors(SPEC, "BookingPatch", example) == []
    assert round_trip(models, "BookingPatch", example) == {"last_updated": example["last_updated"]}


def test_no_operation_patches_a_booking_request() -> None:
    spec = description(SPEC)
    patch_bodies = {
        item["patch"]["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
        for item in spec["paths"].values()
        if item.get("x-ocpi-module") == "bookings" and "patch" in item
    }
    assert patch_bodies == {"BookingLocationPatch", "CalendarPatch", "BookingPatch"}
    assert "BookingRequestPatch" not in spec["components"]["schemas"]
    assert all(BOOKINGS_EXAMPLES[name] is None for name in NO_SUCH_OPERATION)


# -- hand-made vectors: Invoice Reconciliation and the invalid ones --------------------------------------------------


def _record(**changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "country_code": "NL",
        "party_id": "CPO",
        "id": "IR-2025-03",
        "invoice_id": "INV-2025-0042",
        "cdrs": ["CDR1", "CDR2", "CDR3"],
        "last_updated": "2025-04-01T06:00:00Z",
    }
    record.update(changes)
    return record


def _booking() -> dict[str, Any]:
    example_request = {
        "country_code": "DE",
        "party_id": "MSP",
        "request_id": "RE1222",
        "location_id": "LOC1",
        "booking_location_id": "BL1",
        "period": {"start_date_time": "2025-03-23T12:00:00Z", "end_date_time": "2025-03-23T13:00:00Z"},
        "authorization_reference": "pp-100100-1948213567",
    }
    return {
        "id": "B1",
        "country_code": "NL",
        "party_id": "CPO",
        "request_id": "RE1222",
        "location_id": "LOC1",
        "period": {"start_date_time": "2025-03-23T12:00:00Z", "end_date_time": "2025-03-23T13:00:00Z"},
        "reservation_status": "PENDING",
        "authorization_reference": "pp-100100-1948213567",
        "booking_terms": {
            "supported_access_methods": ["OPEN"],
            "change_until_minutes": 60,
            "cancel_until_minutes": 30,
        },
        "booking_requests": [
            {
                "request_status": "PENDING",
                "booking_request": example_request,
                "request_received": "2025-03-01T10:00:00Z",
            }
        ],
        "last_updated": "2025-03-01T10:00:00Z",
    }


@pytest.mark.parametrize(
    "record",
    [
        _record(),
        _record(cdrs=["C" * 39], invoice_id="I" * 255),
        _record(cdrs=["CDR1"], last_updated="2025-04-01T06:00:00"),
    ],
    ids=["direct-billing", "credit-cdr-id-of-39", "one-cdr-no-z"],
)
def test_invoice_reconciliation_record_validates_and_decodes(record: dict[str, Any]) -> None:
    assert schema_errors(SPEC, "InvoiceReconciliationRecord", record) == []
    decoded = round_trip(models, "InvoiceReconciliationRecord", record)
    assert decoded["cdrs"] == record["cdrs"] and decoded["invoice_id"] == record["invoice_id"]


def _without(obj: dict[str, Any], field: str) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k != field}


INVALID = {
    "record-without-cdrs": ("InvoiceReconciliationRecord", _without(_record(), "cdrs")),
    "record-with-empty-cdrs": ("InvoiceReconciliationRecord", _record(cdrs=[])),
    "record-without-invoice_id": ("InvoiceReconciliationRecord", _without(_record(), "invoice_id")),
    "record-id-of-37": ("InvoiceReconciliationRecord", _record(id="R" * 37)),
    "record-cdr-id-of-40": ("InvoiceReconciliationRecord", _record(cdrs=["C" * 40])),
    "record-party_id-of-4": ("InvoiceReconciliationRecord", _record(party_id="CPOX")),
    "record-offset-datetime": ("InvoiceReconciliationRecord", _record(last_updated="2025-04-01T06:00:00+00:00")),
    "booking-without-booking_terms": ("Booking", _without(_booking(), "booking_terms")),
    "booking-without-booking_requests": ("Booking", _booking() | {"booking_requests": []}),
    "booking-id-of-37": ("Booking", _booking() | {"id": "B" * 37}),
    "booking-unknown-reservation_status": ("Booking", _booking() | {"reservation_status": "MAYBE"}),
    "booking-unknown-access-method": (
        "Booking",
        _booking() | {"access_information": [{"method": "TELEPATHY", "value": "x"}]},
    ),
    "booking-who_canceled-interface-role": (
        "Booking",
        _booking() | {"canceled": {"cancellation_reason": "TRAFFIC", "who_canceled": "SENDER"}},
    ),
    "booking-request-without-booking_location_id": (
        "BookingRequest",
        _without(_booking()["booking_requests"][0]["booking_request"], "booking_location_id"),
    ),
    "booking-patch-without-last_updated": ("BookingPatch", {"reservation_status": "CANCELED"}),
    "calendar-without-timeslots": (
        "Calendar",
        {
            "id": "C1",
            "begin_from": "2025-03-23T00:00:00Z",
            "end_before": "2025-03-24T00:00:00Z",
            "available_timeslots": [],
            "last_updated": "2025-03-01T10:00:00Z",
        },
    ),
    "terms-without-access-methods": (
        "BookingTerms",
        {"supported_access_methods": [], "change_until_minutes": 1, "cancel_until_minutes": 1},
    ),
    "tariff-unknown-booking-restriction": (
        "TariffRestrictions",
        {"booking": "BOOKING_LATER"},
    ),
}


@pytest.mark.parametrize("case", sorted(INVALID))
def test_invalid_object_is_refused_by_the_description_and_the_models(case: str) -> None:
    schema, instance = INVALID[case]
    assert schema_errors(SPEC, schema, instance), f"{case}: the description accepts it"
    assert refused_by_models(models, schema, instance), f"{case}: the generated models accept it"


def test_valid_hand_made_booking_validates_and_decodes() -> None:
    booking = _booking()
    assert schema_errors(SPEC, "Booking", booking) == []
    assert round_trip(models, "Booking", booking) == booking


def test_what_bookings_adds_to_core_objects_is_described_and_kept() -> None:
    schemas = description(SPEC)["components"]["schemas"]
    assert schemas["CDR"]["properties"]["booking_id"]["x-ocpi-addon"] == "bookings"
    assert schemas["TariffRestrictions"]["properties"]["booking"]["x-ocpi-addon"] == "bookings"
    added = schemas["CdrDimensionType"]["x-ocpi-addon-values"]["bookings"]
    assert set(added) == {"RESERVATION_EXPIRES", "RESERVATION_OVERTIME"} <= set(schemas["CdrDimensionType"]["enum"])
    restriction = {"booking": "BOOKING_OVERTIME", "reservation": "RESERVATION"}
    assert round_trip(models, "TariffRestrictions", restriction) == restriction
    dimension = {"type": "RESERVATION_OVERTIME", "volume": 0.25}
    assert schema_errors(SPEC, "CdrDimension", dimension) == []
    assert round_trip(models, "CdrDimension", dimension) == dimension


# -- the interfaces as described, and served -------------------------------------------------------------------------


def _operations(module: str) -> dict[tuple[str, str, str], dict[str, Any]]:
    return {
        (item["x-ocpi-interface"], method.upper(), path): item[method]
        for path, item in description(SPEC)["paths"].items()
        if item.get("x-ocpi-module") == module
        for method in METHODS
        if method in item
    }


def test_invoice_reconciliation_interfaces() -> None:
    ops = _operations("invoicereconciliation")
    base = "/ocpi/2.3.0/{}/invoicereconciliation"
    record = base.format("receiver") + "/{country_code}/{party_id}/{id}"
    assert set(ops) == {
        ("SENDER", "GET", base.format("sender")),
        ("RECEIVER", "POST", base.format("receiver")),
        ("RECEIVER", "GET", record),
        ("RECEIVER", "PUT", record),
        ("RECEIVER", "DELETE", record),
    }


def test_bookings_interfaces() -> None:
    ops = _operations("bookings")
    sender, receiver = "/ocpi/2.3.0/sender/bookings", "/ocpi/2.3.0/receiver/bookings/{country_code}/{party_id}"
    location = "/booking_locations/{booking_location_id}"
    expected = {
        ("SENDER", "GET", sender),
        ("SENDER", "POST", sender),
        ("SENDER", "GET", sender + "/booking_locations"),
        ("SENDER", "GET", sender + location),
        ("SENDER", "GET", sender + location + "/{calendar_id}"),
    }
    for path in (receiver + location, receiver + location + "/{calendar_id}", receiver + "/{booking_id}"):
        expected |= {("RECEIVER", method, path) for method in ("GET", "PUT", "PATCH")}
    assert set(ops) == expected


@pytest.mark.parametrize("module", ["invoicereconciliation", "bookings"])
def test_every_operation_carries_routing_headers_errors_and_the_right_pagination(module: str) -> None:
    for (interface, method, path), op in _operations(module).items():
        params = {p["$ref"].rsplit("/", 1)[-1] for p in op["parameters"] if "$ref" in p}
        assert params >= ROUTING_PARAMS, (method, path)
        assert "401" in op["responses"], (method, path)
        listed = op["responses"]["200"]["content"]["application/json"]["schema"]["allOf"][1]
        is_list = listed.get("properties", {}).get("data", {}).get("type") == "array"
        paginated = {"DateFrom", "DateTo", "Offset", "Limit"} <= params
        assert is_list == paginated == ("X-Total-Count" in op["responses"]["200"]["headers"]), (method, path)
        assert is_list == (interface == "SENDER" and method == "GET" and "{" not in path), (method, path)
        if method in ("PUT", "POST", "PATCH"):
            assert "400" in op["responses"], (method, path)
        if re.search(r"\{\w+\}$", path) and method != "POST":
            assert "404" in op["responses"], (method, path)


@pytest.mark.parametrize("schema", ["BookingPatch", "BookingLocationPatch", "CalendarPatch"])
def test_patch_bodies_need_only_last_updated_and_leave_the_rest_unset(schema: str) -> None:
    spec = description(SPEC)["components"]["schemas"]
    full = spec[schema.removesuffix("Patch")]
    assert spec[schema]["required"] == ["last_updated"]
    assert set(spec[schema]["properties"]) == set(full["properties"])
    patch = getattr(models, schema)(last_updated=models.DateTime.parse("2025-03-01T10:00:00Z"))
    assert all(getattr(patch, field) is models.UNSET for field in full["properties"] if field != "last_updated")


def test_the_module_ids_are_known_values() -> None:
    known = description(SPEC)["components"]["schemas"]["ModuleID"]["x-known-values"]
    assert {"invoicereconciliation", "bookings"} <= set(known)
    assert {models.ModuleID.invoicereconciliation, models.ModuleID.bookings} <= set(models.ModuleID)


def test_the_hub_serves_both_interfaces_of_both() -> None:
    """Served and advertised: every described operation of the two modules has a route, and the version details list
    both interfaces of each (test_openapi.py then checks them against the description like any other module)."""
    from reference_hub.api.registry import MODULES
    from reference_hub.app import create_app
    from reference_hub.settings import load_settings

    advertised = {(m.module, m.role.value) for m in MODULES["2.3.0"]}
    for module in ("invoicereconciliation", "bookings"):
        assert {(module, "SENDER"), (module, "RECEIVER")} <= advertised
    # 2.3.0 modules only: a 2.2.1 party is not offered them
    assert not {m.module for m in MODULES["2.2.1"]} & {"invoicereconciliation", "bookings"}
    app = create_app(load_settings(store="sqlite://:memory:"))
    served = {route.path.replace(":str}", "}") for route in app.routes}
    described = {path for module in ("invoicereconciliation", "bookings") for (_i, _m, path) in _operations(module)}
    assert described <= served, sorted(described - served)
