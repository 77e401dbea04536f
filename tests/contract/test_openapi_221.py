"""openapi-2.2.1.yaml is valid OpenAPI 3.1, lays out /ocpi/2.2.1 as openapi.yaml lays out /ocpi/2.3.0, and differs
from it exactly by the deltas between the two versions (v221.md §1-§6): the 2.2.1 Price, the HUB role, no
hub_party_id, closed enumerations without 2.3.0's values, no 2.3.0-only fields, objects or modules."""

from __future__ import annotations

from typing import Any

import pytest
from openapi_spec_validator import validate

from tests.contract.descriptions import description, property_errors, schema_errors

V221, V230 = "openapi-2.2.1.yaml", "openapi.yaml"
METHODS = ("get", "put", "patch", "post", "delete")
ONLY_230_MODULES = {"payments", "invoicereconciliation", "bookings"}
ONLY_230_SCHEMAS = {
    "TaxAmount",
    "PriceLimit",
    "TaxIncluded",
    "Parking",
    "EVSEParking",
    "ConnectorCapability",
    "EVSEPosition",
    "ParkingDirection",
    "VehicleType",
    "BookingRestrictionType",
}
ONLY_230_FIELDS = {
    "Credentials": {"hub_party_id"},
    "Location": {"parking_places", "help_phone"},
    "LocationPatch": {"parking_places", "help_phone"},
    "EVSE": {"parking", "accepted_service_providers"},
    "EVSEPatch": {"parking", "accepted_service_providers"},
    "Connector": {"capabilities"},
    "ConnectorPatch": {"capabilities"},
    "Tariff": {"tax_included", "preauthorize_amount"},
    "CDR": {"booking_id"},
    "TariffRestrictions": {"booking"},
}
ONLY_230_VALUES = {
    "ConnectorType": {"MCS", "SAE_J3400"},
    "ParkingRestriction": {"EMPLOYEES", "TAXIS", "TENANTS"},
    "TokenType": {"EMAID"},
    "VersionNumber": {"2.3.0"},
    "ModuleID": {"payments", "invoicereconciliation", "bookings"},
    "CdrDimensionType": {"RESERVATION_EXPIRES", "RESERVATION_OVERTIME"},
}
MODULES_221 = ("locations", "sessions", "cdrs", "tariffs", "tokens", "commands", "chargingprofiles", "hubclientinfo")


def _schemas(name: str) -> dict[str, Any]:
    schemas: dict[str, Any] = description(name)["components"]["schemas"]
    return schemas


def _values(schema: dict[str, Any]) -> set[str]:
    return set(schema.get("enum") or schema.get("x-known-values") or ())


def test_openapi_221_is_valid_openapi_3_1() -> None:
    spec = description(V221)
    assert spec["openapi"].startswith("3.1") and spec["info"]["version"] == "2.2.1"
    validate(spec)


def test_paths_mirror_openapi_yaml_for_every_221_module() -> None:
    """Same paths, methods, operation ids, modules and interfaces, with /ocpi/2.2.1 for /ocpi/2.3.0."""
    mirrored = {
        (path.replace("/ocpi/2.3.0", "/ocpi/2.2.1"), method): (
            item.get("x-ocpi-module"),
            item.get("x-ocpi-interface"),
            item[method]["operationId"],
        )
        for path, item in description(V230)["paths"].items()
        if item.get("x-ocpi-module") not in ONLY_230_MODULES
        for method in METHODS
        if method in item
    }
    described = {
        (path, method): (item.get("x-ocpi-module"), item.get("x-ocpi-interface"), item[method]["operationId"])
        for path, item in description(V221)["paths"].items()
        for method in METHODS
        if method in item
    }
    assert described == mirrored
    assert all(path == "/ocpi/versions" or path.startswith("/ocpi/2.2.1") for path, _ in described)


def test_every_221_module_has_both_interfaces_and_no_230_only_module_exists() -> None:
    seen = {(item.get("x-ocpi-module"), item.get("x-ocpi-interface")) for item in description(V221)["paths"].values()}
    for module in MODULES_221:
        assert (module, "SENDER") in seen and (module, "RECEIVER") in seen, module
    assert ("versions", None) in seen and ("credentials", None) in seen
    assert not {module for module, _ in seen} & ONLY_230_MODULES
    assert set(_schemas(V221)["ModuleID"]["enum"]) == {"credentials", *MODULES_221}


def test_no_enumeration_is_open_and_2_3_0_values_are_gone() -> None:
    spec, s221, s230 = description(V221), _schemas(V221), _schemas(V230)
    assert spec["info"]["x-ocpi-open-enums"] is False
    assert not [n for n, s in s221.items() if "x-ocpi-open-enum" in s or "x-known-values" in s]
    for name, schema in s221.items():
        if schema.get("type") == "string" and "enum" in schema:
            assert _values(s230[name]) - set(schema["enum"]) == ONLY_230_VALUES.get(name, set()), name
            assert set(schema["enum"]) - _values(s230[name]) == ({"HUB"} if name == "Role" else set()), name
    opened = {n for n, s in s230.items() if s.get("x-ocpi-open-enum")} - ONLY_230_SCHEMAS
    assert opened and all("enum" in s221[n] for n in opened)


def test_schemas_are_those_of_2_3_0_without_its_own_objects_and_fields() -> None:
    s221, s230 = _schemas(V221), _schemas(V230)
    only_230_modules = {n for n, s in s230.items() if s.get("x-ocpi-module") in ONLY_230_MODULES}
    assert set(s230) - set(s221) == ONLY_230_SCHEMAS | only_230_modules
    assert set(s221) <= set(s230)
    for name, schema in s221.items():
        if schema.get("type") != "object" or name == "Price":
            continue
        fields_221, fields_230 = set(schema.get("properties", {})), set(s230[name].get("properties", {}))
        assert fields_230 - fields_221 == ONLY_230_FIELDS.get(name, set()), name
        assert fields_221 <= fields_230, name
        dropped_required = set(s230[name].get("required", [])) - set(schema.get("required", []))
        assert dropped_required == ({"tax_included"} if name == "Tariff" else set()), name


def test_price_is_excl_vat_and_incl_vat_everywhere() -> None:
    s221 = _schemas(V221)
    assert set(s221["Price"]["properties"]) == {"excl_vat", "incl_vat"} and s221["Price"]["required"] == ["excl_vat"]
    for limit in ("min_price", "max_price"):
        refs = [part.get("$ref", "") for part in s221["Tariff"]["properties"][limit]["anyOf"]]
        assert "#/components/schemas/Price" in refs
    assert schema_errors(V221, "Price", {"excl_vat": 4.0, "incl_vat": 4.4}) == []
    assert schema_errors(V221, "Price", {"before_taxes": 4.0, "taxes": [{"name": "VAT", "amount": 0.4}]})


def test_a_hub_is_the_hub_role_and_credentials_have_no_hub_party_id() -> None:
    hub = {
        "token": "9e80a9c4-28be-11e9-b210-d663bd873d93",
        "url": "https://hub.example.com/ocpi/versions",
        "roles": [{"role": "HUB", "party_id": "HUB", "country_code": "NL", "business_details": {"name": "Hub"}}],
    }
    assert schema_errors(V221, "Credentials", hub) == []
    assert schema_errors(V230, "Credentials", hub), "2.3.0 has no HUB role"
    assert "hub_party_id" not in _schemas(V221)["Credentials"]["properties"]
    assert (
        schema_errors(
            V221, "ClientInfo", {**hub["roles"][0], "status": "CONNECTED", "last_updated": "2025-01-01T00:00:00Z"}
        )
        == []
    )


@pytest.mark.parametrize(
    ("schema", "field", "accepted", "tag"),
    [("Location", "address", 255, 45), ("Location", "state", 45, 20), ("SignedValue", "plain_data", 5000, 512)],
)
def test_lengths_are_the_errata_branch_s_and_name_the_tag_s(schema: str, field: str, accepted: int, tag: int) -> None:
    """Every 2.2.1 revision says version 2.2.1 on the wire, so the longest limit any of them gives is accepted."""
    prop = _schemas(V221)[schema]["properties"][field]
    assert (prop["maxLength"], prop["x-ocpi-tag-maxLength"]) == (accepted, tag)
    assert property_errors(V221, schema, field, "x" * accepted) == []
    assert property_errors(V221, schema, field, "x" * (accepted + 1))


def test_a_versions_list_may_name_newer_versions_but_details_are_2_2_1_s() -> None:
    listed = [{"version": "2.3.0", "url": "https://example.com/ocpi/2.3.0"}]
    assert schema_errors(V221, "Version", listed[0]) == []
    details = {"version": "2.3.0", "endpoints": [{"identifier": "credentials", "role": "SENDER", "url": "https://x/c"}]}
    assert schema_errors(V221, "VersionDetails", details)
    payments = {"version": "2.2.1", "endpoints": [{"identifier": "payments", "role": "SENDER", "url": "https://x/p"}]}
    assert schema_errors(V221, "VersionDetails", payments)
