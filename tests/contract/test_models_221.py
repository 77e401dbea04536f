"""The 2.2.1 models are generated from openapi-2.2.1.yaml, every official 2.2.1 example validates against it and
decodes into them without loss (each exclusion names the spec's own defect and is shown to be the only reason), and
the two versions' objects do not pass for each other where their shapes differ.

The 2.2.1 examples are those of documentation revision d2, which already mended the tag's CDR and Session examples
(v221.md §9 #8 and #9: `cdr_token` without country_code/party_id), so those two are positive vectors here.
"""

from __future__ import annotations

import copy
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest

from reference_hub.ocpi import models, models_221
from reference_hub.ocpi.operations import OPERATIONS as OPERATIONS_230
from reference_hub.ocpi.operations_221 import OPERATIONS, PATH_PARAMS
from tests.contract.descriptions import (
    ROOT,
    examples_dir,
    load_example,
    property_errors,
    refused_by_models,
    round_trip,
    schema_errors,
)

V221, V230 = "openapi-2.2.1.yaml", "openapi.yaml"

FRAGMENT = {"location_energymix": ("energy_mix", "EnergyMix"), "location_regularhours": ("opening_times", "Hours")}
"""Examples that show one field of a Location: the field, and the schema of its value."""


def _kind(name: str) -> str:
    """What an official 2.2.1 example is an instance of: a schema name, ``list:<schema>``, ``envelope:<schema>``,
    ``envelope:list:<schema>`` or ``fragment:<field>:<schema>`` (a one-field piece of a Location)."""
    table = [
        ("cdr_", "CDR"),
        ("credentials_", "Credentials"),
        ("location_hours_", "Hours"),
        ("location_patch_example_location", "LocationPatch"),
        ("location_patch_example_remove_evse", "EVSEPatch"),
        ("location_patch_example_status", "EVSEPatch"),
        ("location_patch_example_tariff", "ConnectorPatch"),
        ("location_put_example_add_evse", "EVSE"),
        ("location_example", "Location"),
        ("session_patch_", "SessionPatch"),
        ("session_example", "Session"),
        ("tariff", "Tariff"),
        ("token_patch_", "TokenPatch"),
        ("token_", "Token"),
        ("transport_and_format_get_token_list", "envelope:list:Token"),
        ("transport_and_format_get_token_", "envelope:Token"),
        ("transport_and_format_version_details", "envelope:VersionDetails"),
        ("transport_and_format_version_info", "envelope:list:Version"),
        ("type_displaytext", "DisplayText"),
        ("version_details_", "VersionDetails"),
        ("versions_info", "list:Version"),
    ]
    for prefix, (field, schema) in FRAGMENT.items():
        if name.startswith(prefix):
            return f"fragment:{field}:{schema}"
    return next(kind for prefix, kind in table if name.startswith(prefix))


EXAMPLES_221 = [
    "cdr_example.json",
    "credentials_example.json",
    "credentials_example2.json",
    "credentials_example3.json",
    "credentials_example4.json",
    "location_energymix_example_complete.json",
    "location_energymix_example_energy_provider.json",
    "location_energymix_example_simple.json",
    "location_example.json",
    "location_example_parking_garage_opening_hours.json",
    "location_example_uc2_destination_charger.json",
    "location_example_uc3_destination_charger_not_published.json",
    "location_example_uc4_limited_visibility.json",
    "location_example_uc5_home_charge_point.json",
    "location_hours_247_open_exception_closing.json",
    "location_hours_opening_hours_with_exceptional_closing.json",
    "location_hours_opening_hours_with_exceptional_opening.json",
    "location_patch_example_location.json",
    "location_patch_example_remove_evse.json",
    "location_patch_example_status.json",
    "location_patch_example_tariff.json",
    "location_put_example_add_evse.json",
    "location_regularhours_example.json",
    "session_example_1_simple_start.json",
    "session_example_2_short_finished.json",
    "session_patch_example_charging_period.json",
    "session_patch_example_total_cost.json",
    "tariff_10_025kwh_parking_start.json",
    "tariff_11_not_possible_alt_text.json",
    "tariff_12_025kwh_min_price.json",
    "tariff_13_simple_3hour_5parking.json",
    "tariff_14_step_size.json",
    "tariff_15_reservation_5_euro_per_hour.json",
    "tariff_16_reservation_2_euro_fee_5_euro_per_hour.json",
    "tariff_17_reservation_with_expire_fee.json",
    "tariff_18_reservation_with_expire_time.json",
    "tariff_1_simple_2hour.json",
    "tariff_2_alt_text.json",
    "tariff_3_alt_url.json",
    "tariff_4_complex.json",
    "tariff_5_free_of_charge.json",
    "tariff_6_025kwh_start_max_price.json",
    "tariff_8_simple_025kwh.json",
    "tariff_9_025kwh_start.json",
    "tariff_put_example.json",
    "tariffrestriction_example_max_duration.json",
    "tariffrestriction_example_max_power.json",
    "token_example_1_app_user.json",
    "token_example_2_full_rfid.json",
    "token_patch_example.json",
    "token_put_example.json",
    "transport_and_format_get_token_example.json",
    "transport_and_format_get_token_list_example.json",
    "transport_and_format_version_details_example.json",
    "transport_and_format_version_info_example.json",
    "type_displaytext_example.json",
    "version_details_example.json",
    "version_details_example2.json",
    "versions_info_example.json",
]


def _mend_add_evse(example: Any) -> None:
    example["floor_level"] = str(example.pop("floor"))
    example["physical_reference"] = str(example["physical_reference"])
    for connector in example["connectors"]:
        connector.update(
            power_type="AC_3_PHASE", max_voltage=230, max_amperage=16, last_updated=example["last_updated"]
        )


def _mend_tariff_put(example: Any) -> None:
    example["last_updated"] = "2015-06-29T20:39:09Z"


DEFECTS: dict[str, tuple[str, Callable[[Any], None]]] = {
    "location_put_example_add_evse.json": (
        "v221.md §9 #16: unknown field `floor`, physical_reference an integer, connectors without the required "
        "power_type, max_voltage, max_amperage and last_updated",
        _mend_add_evse,
    ),
    "tariff_put_example.json": ("v221.md §9 #17: no last_updated (required)", _mend_tariff_put),
}
POSITIVE = [name for name in EXAMPLES_221 if name not in DEFECTS]


def _errors(kind: str, instance: Any) -> list[str]:
    """Violations of a 2.2.1 example of this kind (empty when it is valid)."""
    if kind.startswith("fragment:"):
        _, field, _ = kind.split(":")
        assert list(instance) == [field]
        return property_errors(V221, "Location", field, instance[field])
    if kind.startswith("envelope:"):
        envelope = {k: v for k, v in instance.items() if k != "data"}
        return schema_errors(V221, "OcpiResponse", envelope) + _errors(kind.removeprefix("envelope:"), instance["data"])
    if kind.startswith("list:"):
        return [e for item in instance for e in schema_errors(V221, kind.removeprefix("list:"), item)]
    return schema_errors(V221, kind, instance)


def _round_trip(kind: str, instance: Any) -> Any:
    """The example as the 2.2.1 models decode and encode it again."""
    if kind.startswith("fragment:"):
        _, field, schema = kind.split(":")
        return {field: round_trip(models_221, schema, instance[field])}
    if kind.startswith("envelope:"):
        return {**instance, "data": _round_trip(kind.removeprefix("envelope:"), instance["data"])}
    if kind.startswith("list:"):
        return [round_trip(models_221, kind.removeprefix("list:"), item) for item in instance]
    return round_trip(models_221, kind, instance)


def test_every_221_example_is_judged() -> None:
    folder = examples_dir("2.2.1")
    assert sorted(p.name for p in folder.glob("*.json")) == sorted(EXAMPLES_221)


@pytest.mark.parametrize("name", POSITIVE)
def test_official_221_example_validates_and_decodes_without_loss(name: str) -> None:
    example = load_example(examples_dir("2.2.1"), name)
    kind = _kind(name)
    assert _errors(kind, example) == []
    assert _round_trip(kind, example) == example


@pytest.mark.parametrize("name", sorted(DEFECTS))
def test_excluded_221_example_fails_only_for_its_named_defect(name: str) -> None:
    reason, mend = DEFECTS[name]
    example = load_example(examples_dir("2.2.1"), name)
    kind = _kind(name)
    assert _errors(kind, example), f"{name} validates now: drop its exclusion ({reason})"
    assert refused_by_models(models_221, kind, example)
    mended = copy.deepcopy(example)
    mend(mended)
    assert _errors(kind, mended) == [], reason
    assert _round_trip(kind, mended) == mended


# -- the versions do not pass for each other --------------------------------------------------------------------------

TARIFFS_221 = [name for name in POSITIVE if _kind(name) == "Tariff"]


@pytest.mark.parametrize("name", TARIFFS_221)
def test_a_221_tariff_is_not_a_230_tariff(name: str) -> None:
    """No tax_included (required in 2.3.0); price limits, where given, in the 2.2.1 Price shape."""
    tariff = load_example(examples_dir("2.2.1"), name)
    errors = schema_errors(V230, "Tariff", tariff)
    assert "(object): 'tax_included' is a required property" in errors
    assert refused_by_models(models, "Tariff", tariff)


PRICED_230 = {
    "cdr_example.json": "CDR",
    "session_example_1_simple_start.json": "Session",
    "session_example_2_short_finished.json": "Session",
    "session_patch_example_charging_period.json": "SessionPatch",
    "session_patch_example_total_cost.json": "SessionPatch",
    "tariff_12_025kwh_min_price.json": "Tariff",
    "tariff_6_025kwh_start_max_price.json": "Tariff",
}
"""The official 2.3.0 examples that carry a Price or PriceLimit (before_taxes)."""
PRICE_FIELDS = {
    "total_cost",
    "total_fixed_cost",
    "total_energy_cost",
    "total_time_cost",
    "total_parking_cost",
    "total_reservation_cost",
    "min_price",
    "max_price",
}


def test_the_230_examples_with_prices_are_the_ones_listed() -> None:
    folder = examples_dir("2.3.0")
    assert {p.name for p in folder.glob("*.json") if "before_taxes" in p.read_text()} == set(PRICED_230)


@pytest.mark.parametrize("name", sorted(PRICED_230))
def test_a_230_object_with_before_taxes_is_not_a_221_object(name: str) -> None:
    schema = PRICED_230[name]
    example = load_example(examples_dir("2.3.0"), name)
    errors = schema_errors(V221, schema, example)
    assert errors and all(e.split("/")[0].split(":")[0] in PRICE_FIELDS for e in errors), errors
    assert refused_by_models(models_221, schema, example)


def _connector(standard: str) -> dict[str, Any]:
    return {
        "id": "1",
        "standard": standard,
        "format": "CABLE",
        "power_type": "DC",
        "max_voltage": 1000,
        "max_amperage": 3000,
        "last_updated": "2025-01-01T00:00:00Z",
    }


def _token(token_type: str) -> dict[str, Any]:
    return {
        "country_code": "DE",
        "party_id": "TNM",
        "uid": "12345678905880",
        "type": token_type,
        "contract_id": "DE8ACC12E46L89",
        "issuer": "TheNewMotion",
        "valid": True,
        "whitelist": "ALLOWED",
        "last_updated": "2018-12-10T17:25:10Z",
    }


@pytest.mark.parametrize(
    ("schema", "instance"),
    [
        ("Connector", _connector("MCS")),
        ("Connector", _connector("SAE_J3400")),
        ("Token", _token("EMAID")),
        ("Token", _token("SOMETHING_NEW")),
        ("CdrDimension", {"type": "RESERVATION_OVERTIME", "volume": 0.5}),
        (
            "CredentialsRole",
            {"role": "PTP", "party_id": "PAY", "country_code": "NL", "business_details": {"name": "P"}},
        ),
    ],
    ids=["MCS", "SAE_J3400", "EMAID", "unknown-token-type", "booking-dimension", "unknown-role"],
)
def test_values_2_2_1_does_not_know_are_refused_by_both(schema: str, instance: dict[str, Any]) -> None:
    """2.3.0 accepts the first two kinds (open enumerations, or values it added); 2.2.1's enumerations are closed."""
    assert schema_errors(V221, schema, instance)
    assert refused_by_models(models_221, schema, instance)


def test_the_same_values_are_2_3_0_objects() -> None:
    for schema, instance in [("Connector", _connector("MCS")), ("Token", _token("EMAID")), ("Token", _token("X"))]:
        assert schema_errors(V230, schema, instance) == []
        assert not refused_by_models(models, schema, instance)


# -- generated from the description ----------------------------------------------------------------------------------


def test_221_models_and_operations_are_generated_from_openapi_221() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "gen_models.py"), "--version", "2.2.1", "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_221_operations_mirror_the_230_table_for_the_221_modules() -> None:
    def key(op: Any, version: str) -> tuple[Any, ...]:
        return (op.operation_id, op.module, op.interface, op.method, op.path.replace(version, "{v}"), op.suffix)

    only_230 = {"payments", "invoicereconciliation", "bookings"}
    expected = [key(op, "2.3.0") for op in OPERATIONS_230 if op.module not in only_230]
    assert [key(op, "2.2.1") for op in OPERATIONS] == expected
    assert PATH_PARAMS["location_id"] == 36 and "booking_id" not in PATH_PARAMS
