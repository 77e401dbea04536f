"""Translation between OCPI 2.2.1 and 2.3.0 (reference_hub/ocpi/translate.py), judged by both descriptions.

Every official example of one version, translated to the other, validates against that version's description with
its object schemas closed (a field the receiving version does not define is an error here, although the descriptions
themselves allow unknown fields) and decodes into that version's models without losing a field; or it is refused for
a reason a rule names. A 2.2.1 object comes back unchanged from a round trip through 2.3.0. Every rule of RULES has a
test below that fails when the rule breaks (``covers``), and every field or value the two versions' models do not
share has a rule.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import json
import logging
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import msgspec.inspect as mi
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from reference_hub.ocpi import models, models_221
from reference_hub.ocpi import translate as tr
from reference_hub.ocpi.operations import OPERATIONS as OPERATIONS_230
from reference_hub.ocpi.operations_221 import OPERATIONS as OPERATIONS_221
from reference_hub.ocpi.translate import RULES, TRANSLATED, Rule, Untranslatable, down, down_items, up
from tests.contract.descriptions import ROOT, description, examples_dir, load_example, round_trip, schema_errors
from tests.contract.test_models_221 import DEFECTS as DEFECTS_221
from tests.contract.test_models_221 import EXAMPLES_221, _mend_add_evse, _mend_tariff_put
from tests.contract.test_models_221 import _kind as kind_of_example

V221, V230 = "openapi-2.2.1.yaml", "openapi.yaml"
MODELS = {V221: models_221, V230: models}


# -- validation with closed object schemas -----------------------------------------------------------------------------


def _close(node: Any) -> Any:
    """The description with ``additionalProperties: false`` on every object schema (not on if/then/else parts)."""
    if isinstance(node, dict):
        closed = {k: _close(v) for k, v in node.items()}
        types = closed.get("type")
        if "properties" in closed and (types == "object" or (isinstance(types, list) and "object" in types)):
            closed.setdefault("additionalProperties", False)
        return closed
    if isinstance(node, list):
        return [_close(v) for v in node]
    return node


@functools.cache
def _closed_registry(file_name: str) -> tuple[Registry, str]:
    uri = f"urn:ocpi-test:closed:{file_name}"
    return Registry().with_resource(uri, DRAFT202012.create_resource(_close(description(file_name)))), uri


def closed_errors(file_name: str, schema: str, instance: Any) -> list[str]:
    """Violations of a schema of the description, any field it does not define included."""
    registry, uri = _closed_registry(file_name)
    validator = Draft202012Validator({"$ref": f"{uri}#/components/schemas/{schema}"}, registry=registry)
    return sorted(
        f"{'/'.join(str(p) for p in e.absolute_path) or '(object)'}: {e.message}"
        for e in validator.iter_errors(instance)
    )


def _without_nulls(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _without_nulls(v) for k, v in node.items() if v is not None}
    if isinstance(node, list):
        return [_without_nulls(v) for v in node]
    return node


def assert_valid(file_name: str, schema: str, instance: Any) -> None:
    """Valid against the closed schema, and the models decode and re-encode it without losing a field (a null is
    an absent field to them)."""
    items = instance if isinstance(instance, list) else [instance]
    for item in items:
        assert closed_errors(file_name, schema, item) == [], json.dumps(item)[:2000]
        if " | " not in schema:
            assert round_trip(MODELS[file_name], schema, item) == _without_nulls(item)


def test_closing_the_schemas_catches_a_field_of_the_other_version() -> None:
    """The oracle itself: a stock validator takes a 2.3.0 field in a 2.2.1 Location, the closed one does not."""
    location = _location_230()
    location["help_phone"] = "+31 20 000 0000"
    assert schema_errors(V221, "Location", location) == []
    assert closed_errors(V221, "Location", location) == [
        "(object): Additional properties are not allowed ('help_phone' was unexpected)"
    ]


# -- the official examples ---------------------------------------------------------------------------------------------

EXAMPLES_230 = sorted(
    [*EXAMPLES_221, "tariff_19_simple_north_american_exclusive.json", "tariff_20_simple_north_american_inclusive.json"]
)

NOT_TRANSLATED = {
    "credentials_": "Credentials are not translated: the handshake builds each version's own (v221.md §5.4)",
    "version": "version lists and details are each version's own, built by the hub (v221.md §4)",
    "transport_and_format_version": "version lists and details are each version's own, built by the hub (v221.md §4)",
}
"""Examples of objects that do not cross versions, by file-name prefix."""

FRAGMENT_FIELD = {"EnergyMix": "energy_mix", "Hours": "opening_times", "DisplayText": "directions"}
"""Examples of a part of a Location are translated inside that version's location_example.json, in this field."""


def _mend_cdr_230(example: Any) -> None:
    for tariff in example["tariffs"]:
        tariff["tax_included"] = "NO"


DEFECTS_230: dict[str, tuple[str, Callable[[Any], None]]] = {
    "cdr_example.json": ("modules.md §15.1 #6: the embedded Tariff has no tax_included (required)", _mend_cdr_230),
    "location_put_example_add_evse.json": (
        "the defect of v221.md §9 #16, kept in 2.3.0: unknown field `floor`, physical_reference an integer, "
        "connectors without power_type, max_voltage, max_amperage and last_updated",
        _mend_add_evse,
    ),
    "tariff_put_example.json": ("the defect of v221.md §9 #17, kept in 2.3.0: no last_updated", _mend_tariff_put),
}

UNTRANSLATABLE_230 = {
    "tariff_20_simple_north_american_inclusive.json": (
        "down Tariff.tax_included refuses",
        "tax_included YES) and a price component has no vat rate",
    ),
}
"""2.3.0 examples that cannot be carried to 2.2.1: the rule that refuses them, and what its reason says."""


def _not_translated(name: str) -> str | None:
    return next((why for prefix, why in NOT_TRANSLATED.items() if name.startswith(prefix)), None)


TRANSLATABLE_221 = [name for name in EXAMPLES_221 if _not_translated(name) is None]
TRANSLATABLE_230 = [name for name in EXAMPLES_230 if _not_translated(name) is None]


def test_the_examples_not_translated_are_configuration_objects() -> None:
    left_out = {kind_of_example(name) for name in EXAMPLES_230 if _not_translated(name) is not None}
    assert left_out == {
        "Credentials",
        "list:Version",
        "VersionDetails",
        "envelope:VersionDetails",
        "envelope:list:Version",
    }
    assert not {k.split(":")[-1] for k in left_out} & TRANSLATED


def _example(version: str, name: str) -> tuple[str, Any, str]:
    """A translatable example: (schema, document, note), mended where it has a named defect; the document is
    ``{"data": ...}`` stripped off, a list for a list, a Location around a fragment."""
    folder = examples_dir(version)
    doc = load_example(folder, name)
    defects = DEFECTS_221 if version == "2.2.1" else DEFECTS_230
    note = ""
    if name in defects:
        reason, mend = defects[name]
        mend(doc)
        note = f"mended: {reason}"
    kind = kind_of_example(name)
    if kind.startswith("envelope:"):
        doc, kind = doc["data"], kind.removeprefix("envelope:")
    kind = kind.removeprefix("list:")
    if kind.startswith("fragment:"):
        kind = kind.split(":")[2]
    if kind in FRAGMENT_FIELD:
        field = FRAGMENT_FIELD[kind]
        value = doc[field] if kind != "DisplayText" and list(doc) == [field] else doc
        location = load_example(folder, "location_example.json")
        location[field] = [value] if kind == "DisplayText" else value
        doc, kind = location, "Location"
    return kind, doc, note


def test_every_230_example_is_judged() -> None:
    assert sorted(p.name for p in examples_dir("2.3.0").glob("*.json")) == EXAMPLES_230


@pytest.mark.parametrize("name", sorted(DEFECTS_230))
def test_excluded_230_example_is_invalid_until_mended(name: str) -> None:
    reason, mend = DEFECTS_230[name]
    example = load_example(examples_dir("2.3.0"), name)
    schema = kind_of_example(name)
    assert schema_errors(V230, schema, example), f"{name} validates now: drop its exclusion ({reason})"
    mend(example)
    assert schema_errors(V230, schema, example) == [], reason


@pytest.mark.parametrize("name", TRANSLATABLE_221)
def test_official_221_example_translated_up_is_a_230_object(name: str) -> None:
    schema, doc, _ = _example("2.2.1", name)
    assert_valid(V221, schema, doc)
    translated = up(schema, doc)
    assert_valid(V230, schema, translated)
    _assert_ids_unchanged(doc, translated)


@pytest.mark.parametrize("name", TRANSLATABLE_221)
def test_official_221_example_comes_back_unchanged_from_230(name: str) -> None:
    schema, doc, _ = _example("2.2.1", name)
    assert down(schema, up(schema, doc)) == doc


@pytest.mark.parametrize("name", TRANSLATABLE_230)
def test_official_230_example_translated_down_is_a_221_object_or_refused_by_a_rule(name: str) -> None:
    schema, doc, _ = _example("2.3.0", name)
    assert_valid(V230, schema, doc)
    if name in UNTRANSLATABLE_230:
        key, says = UNTRANSLATABLE_230[name]
        assert key in {r.key for r in RULES}
        with pytest.raises(Untranslatable) as refused:
            down(schema, doc)
        assert says in refused.value.reason
        return
    translated = down(schema, doc)
    assert_valid(V221, schema, translated)
    _assert_ids_unchanged(doc, translated)


ID_FIELDS = frozenset(
    {"last_updated", "id", "uid", "country_code", "party_id", "location_id", "evse_uid", "connector_id", "session_id"}
)


def _ids(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ID_FIELDS and not isinstance(value, dict | list):
                yield f"{path}/{key}", value
            yield from _ids(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _ids(value, f"{path}/{i}")


def _assert_ids_unchanged(source: Any, translated: Any) -> None:
    """Every id and last_updated the translation kept is where it was, with the same value; the object's own are
    all kept."""
    before, after = dict(_ids(source)), dict(_ids(translated))
    assert after.items() <= before.items()
    own = {p: v for p, v in before.items() if p.count("/") == 1 or (isinstance(source, list) and p.count("/") == 2)}
    assert own.items() <= after.items()


# -- what every translation keeps --------------------------------------------------------------------------------------


def test_translation_is_pure_and_deterministic() -> None:
    """Same input, same output; the input is not changed, and changing the output does not reach the input."""
    cdr = _cdr_230()
    cdr["tariffs"] = [_tariff_230(tax_included="YES", vat=20.0)]
    frozen = copy.deepcopy(cdr)
    first, second = down("CDR", cdr), down("CDR", cdr)
    assert first == second and cdr == frozen
    first["tariffs"][0]["elements"][0]["price_components"][0]["price"] = 99
    first["cdr_token"]["uid"] = "X"
    assert cdr == frozen
    translated = up("CDR", down("CDR", cdr))
    translated["tariffs"][0]["elements"].clear()
    assert cdr == frozen


def test_a_list_is_translated_item_by_item() -> None:
    tokens = [_token_230(), _token_230(uid="B")]
    assert down("Token", tokens) == [down("Token", t) for t in tokens]
    with pytest.raises(Untranslatable):
        down("Token", [*tokens, _token_230(type="EMAID")])


def test_down_items_keeps_what_translates_and_says_why_the_rest_was_left_out() -> None:
    page = [_token_230(uid="A"), _token_230(uid="B", type="EMAID"), _token_230(uid="C")]
    kept, reasons = down_items("Token", page)
    assert [t["uid"] for t in kept] == ["A", "C"]
    assert reasons == ["Token DE/EMS/B: token type EMAID does not exist in OCPI 2.2.1"]


def test_a_refusal_names_the_object() -> None:
    with pytest.raises(Untranslatable) as refused:
        down("Connector", _connector_230(standard="MCS"))
    assert refused.value.reason == "Connector 1: connector standard MCS does not exist in OCPI 2.2.1"
    with pytest.raises(Untranslatable) as refused:
        down("Tariff", _tariff_230(tax_included="YES"))
    assert refused.value.reason.startswith("Tariff NL/CPO/T1: its prices include taxes")


def test_a_schema_without_translation_is_a_programming_error() -> None:
    for schema in ("Terminal", "Credentials", "Price", "Booking"):
        with pytest.raises(ValueError, match=f"no translation for schema '{schema}'"):
            down(schema, {})


def test_every_body_and_answer_of_the_shared_modules_is_translated() -> None:
    """What the hub may hand over: every body and answer of both versions' operations tables, configuration modules
    (each version builds its own) and the 2.3.0-only modules aside."""
    own = {"versions", "credentials"}
    only_230 = {"payments", "invoicereconciliation", "bookings"}
    names = {
        name
        for op in (*OPERATIONS_221, *OPERATIONS_230)
        if op.module not in own | only_230
        for name in (op.body, op.answer)
        if name is not None
    }
    members = {m for name in names for m in name.split(" | ")}
    assert names | members <= TRANSLATED
    assert names | members >= TRANSLATED


IDENTICAL = [
    "ChargingPreferences",
    "ChargingPreferencesResponse",
    "LocationReferences",
    "StopSession",
    "CancelReservation",
    "UnlockConnector",
    "CommandResponse",
    "CommandResult",
    "SetChargingProfile",
    "ActiveChargingProfile",
    "ActiveChargingProfileResult",
    "ChargingProfileResult",
    "ClearProfileResult",
    "ChargingProfileResponse",
]


def _identical_object(schema: str) -> Any:
    profile = {
        "start_date_time": "2025-01-01T10:00:00Z",
        "duration": 3600,
        "charging_rate_unit": "W",
        "min_charging_rate": 1000.5,
        "charging_profile_period": [{"start_period": 0, "limit": 11000.0}],
    }
    message = [{"language": "en", "text": "ok"}]
    return {
        "ChargingPreferences": {"profile_type": "FAST", "departure_time": "2025-01-01T18:00:00Z", "energy_need": 20.5},
        "ChargingPreferencesResponse": "ACCEPTED",
        "LocationReferences": {"location_id": "L1", "evse_uids": ["E1", "E2"]},
        "StopSession": {"response_url": "https://emsp.example/r/1", "session_id": "S1"},
        "CancelReservation": {"response_url": "https://emsp.example/r/1", "reservation_id": "R1"},
        "UnlockConnector": {
            "response_url": "https://emsp.example/r/1",
            "location_id": "L1",
            "evse_uid": "E1",
            "connector_id": "1",
        },
        "CommandResponse": {"result": "ACCEPTED", "timeout": 30, "message": message},
        "CommandResult": {"result": "EVSE_OCCUPIED", "message": message},
        "SetChargingProfile": {"charging_profile": profile, "response_url": "https://scsp.example/r/1"},
        "ActiveChargingProfile": {"start_date_time": "2025-01-01T10:00:00Z", "charging_profile": profile},
        "ActiveChargingProfileResult": {
            "result": "ACCEPTED",
            "profile": {"start_date_time": "2025-01-01T10:00:00Z", "charging_profile": profile},
        },
        "ChargingProfileResult": {"result": "REJECTED"},
        "ClearProfileResult": {"result": "UNKNOWN"},
        "ChargingProfileResponse": {"result": "TOO_OFTEN", "timeout": 60},
    }[schema]


@pytest.mark.parametrize("schema", IDENTICAL)
def test_objects_the_versions_share_pass_through_both_ways(schema: str) -> None:
    obj = _identical_object(schema)
    if isinstance(obj, dict):
        assert_valid(V230, schema, obj)
        assert_valid(V221, schema, obj)
    assert up(schema, obj) == obj
    assert down(schema, obj) == obj


def test_a_union_body_is_translated_by_the_rules_of_its_members() -> None:
    commands = "CancelReservation | ReserveNow | StartSession | StopSession | UnlockConnector"
    reserve = _reserve_now_230(token_type="EMAID")
    assert down(commands, reserve) == down("ReserveNow", reserve)
    assert down(commands, reserve)["token"]["type"] == "OTHER"
    stop = _identical_object("StopSession")
    assert down(commands, stop) == stop == up(commands, stop)
    results = "ActiveChargingProfileResult | ChargingProfileResult | ClearProfileResult"
    active = _identical_object("ActiveChargingProfileResult")
    assert down(results, active) == active == up(results, active)


def test_a_patch_with_only_230_fields_becomes_last_updated() -> None:
    stamp = "2025-03-01T12:00:00Z"
    patches = {
        "LocationPatch": {"parking_places": [_parking()], "help_phone": "+31 20 000 0000", "last_updated": stamp},
        "EVSEPatch": {
            "parking": [{"parking_id": "P1"}],
            "accepted_service_providers": ["NL*ABC"],
            "last_updated": stamp,
        },
        "ConnectorPatch": {"capabilities": ["ISO_15118_2_PLUG_AND_CHARGE"], "last_updated": stamp},
    }
    for schema, patch in patches.items():
        assert_valid(V230, schema, patch)
        assert down(schema, patch) == {"last_updated": stamp}
        assert_valid(V221, schema, down(schema, patch))


# -- every difference between the versions has a rule ------------------------------------------------------------------


def _unwrap(field_type: mi.Type) -> tuple[mi.Type, bool]:
    if isinstance(field_type, mi.UnionType):
        kinds = [t for t in field_type.types if not isinstance(t, mi.NoneType)]
        assert len(kinds) == 1, field_type
        field_type = kinds[0]
    if isinstance(field_type, mi.ListType):
        return field_type.item_type, True
    return field_type, False


def _struct(module: Any, name: str) -> dict[str, mi.Field]:
    info = mi.type_info(getattr(module, name))
    assert isinstance(info, mi.StructType)
    return {f.encode_name: f for f in info.fields}


def _values_of(field_type: mi.Type) -> frozenset[str] | None:
    """The values an enumeration field may take; None for an open enumeration or any other string (any value)."""
    if isinstance(field_type, mi.EnumType):
        return frozenset(m.value for m in field_type.cls)
    return None


def _differences(direction: str) -> set[tuple[str, str]]:
    """(schema, field) of every field reachable from a translated schema that the two versions' models do not share
    as it is: absent from the target, another object type, values the target does not have, or required by the
    target and absent from the source (``+`` marks those)."""
    source_module, target_module = (models_221, models) if direction == "up" else (models, models_221)
    found: set[tuple[str, str]] = set()
    seen: set[str] = set()
    pending = sorted({m for name in TRANSLATED for m in name.split(" | ")})
    while pending:
        schema = pending.pop()
        if schema in seen or not hasattr(target_module, schema):  # one the target lacks: its field is a difference
            continue
        seen.add(schema)
        if not isinstance(mi.type_info(getattr(source_module, schema)), mi.StructType):
            continue
        source, target = _struct(source_module, schema), _struct(target_module, schema)
        for name, target_field in target.items():
            if name not in source and target_field.required:
                found.add((schema, "+" + name))
        for name, source_field in source.items():
            if name not in target:
                found.add((schema, name))
                continue
            source_type, _ = _unwrap(source_field.type)
            target_type, _ = _unwrap(target[name].type)
            if isinstance(source_type, mi.StructType):
                pending.append(source_type.cls.__name__)
                if not (
                    isinstance(target_type, mi.StructType) and target_type.cls.__name__ == source_type.cls.__name__
                ):
                    found.add((schema, name))
                continue
            target_values = _values_of(target_type)
            if target_values is None:
                continue
            source_values = _values_of(source_type)
            if source_values is None or not source_values <= target_values:
                found.add((schema, name))
    return found


@pytest.mark.parametrize("direction", ["up", "down"])
def test_every_field_and_value_the_versions_do_not_share_has_a_rule(direction: str) -> None:
    named = {(s, f) for r in RULES if r.direction == direction for s in r.schemas for f in r.fields}
    whole_object = {s for r in RULES if r.direction == direction and r.on_object is not None for s in r.schemas}
    missing = sorted(
        (schema, name)
        for schema, name in _differences(direction)
        if not ((schema, name) in named or (name.startswith("+") and schema in whole_object))
    )
    assert missing == []


def test_the_differences_found_are_the_known_ones() -> None:
    """The walk above finds what v221.md §6 lists, so an empty 'missing' means something."""
    down_found, up_found = _differences("down"), _differences("up")
    for expected in [
        ("Location", "parking_places"),
        ("EVSE", "parking"),
        ("Connector", "standard"),
        ("Tariff", "min_price"),
        ("Tariff", "tax_included"),
        ("Token", "type"),
        ("CdrDimension", "type"),
        ("TariffRestrictions", "booking"),
        ("Price", "+excl_vat"),
    ]:
        assert expected in down_found
    assert {("ClientInfo", "role"), ("Tariff", "+tax_included"), ("Tariff", "min_price"), ("Price", "excl_vat")} <= (
        up_found
    )


def _resolves(module: Any, schema: str, path: str) -> bool:
    name = schema
    for part in path.split("."):
        cls = getattr(module, name, None)
        if cls is None or part not in (fields := _struct(module, name)):
            return False
        nested, _ = _unwrap(fields[part].type)
        name = nested.cls.__name__ if isinstance(nested, mi.StructType) else ""
    return True


def test_every_rule_names_objects_and_fields_that_exist() -> None:
    for rule in RULES:
        assert rule.direction in ("up", "down") and rule.kind in ("drops", "derives", "maps", "refuses", "keeps")
        assert rule.what.endswith(".") and "v221.md §" in rule.why, rule.key
        if rule.schema == "*":
            continue
        for schema in rule.schemas:
            for field in rule.fields:
                assert _resolves(models, schema, field) or _resolves(models_221, schema, field), (schema, field)


def test_prepare_builds_every_plan_and_stops_on_a_rule_that_cannot_apply(monkeypatch: pytest.MonkeyPatch) -> None:
    """Plans are built by ``prepare`` (the hub's workers call it as they start), not on import: every schema both ways,
    and a rule acting on a field the two versions do not share raises there, before any object meets it."""

    def fresh() -> None:
        tr._plan.cache_clear()
        tr._step_into.cache_clear()

    fresh()
    try:
        tr.prepare()
        built = tr._plan.cache_info().misses
        assert built >= 2 * len(TRANSLATED)
        for schema in TRANSLATED:  # every plan a request could ask for is there already
            tr._plan(schema, "up")
            tr._plan(schema, "down")
        assert tr._plan.cache_info().misses == built
        on_field = next(r for r in RULES if r.on_field is not None and r.schema != "*")
        broken = dataclasses.replace(on_field, field="no_such_field", on_field=on_field.on_field)
        monkeypatch.setattr(tr, "RULES", (*RULES, broken))
        fresh()
        with pytest.raises(ValueError, match="not in both versions"):
            tr.prepare()
    finally:
        monkeypatch.undo()
        fresh()


def test_rule_keys_are_unique() -> None:
    keys = [r.key for r in RULES]
    assert len(keys) == len(set(keys))


# -- one test (at least) per rule --------------------------------------------------------------------------------------

TESTS_OF: dict[str, list[Callable[..., None]]] = {}
"""The tests of each rule, by its key."""


def covers(*keys: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    known = {r.key for r in RULES}
    for key in keys:
        assert key in known, f"no rule {key!r}"

    def register(test: Callable[..., None]) -> Callable[..., None]:
        for key in keys:
            TESTS_OF.setdefault(key, []).append(test)
        return test

    return register


STAMP = "2025-02-03T04:05:06Z"


def _connector_230(**changes: Any) -> dict[str, Any]:
    return {
        "id": "1",
        "standard": "IEC_62196_T2",
        "format": "SOCKET",
        "power_type": "AC_3_PHASE",
        "max_voltage": 230,
        "max_amperage": 32,
        "last_updated": STAMP,
    } | changes


def _evse_230(**changes: Any) -> dict[str, Any]:
    return {"uid": "E1", "status": "AVAILABLE", "connectors": [_connector_230()], "last_updated": STAMP} | changes


def _location_230(**changes: Any) -> dict[str, Any]:
    return {
        "country_code": "NL",
        "party_id": "CPO",
        "id": "L1",
        "publish": True,
        "address": "Main street 1",
        "city": "Amsterdam",
        "country": "NLD",
        "coordinates": {"latitude": "52.370216", "longitude": "4.895168"},
        "time_zone": "Europe/Amsterdam",
        "evses": [_evse_230()],
        "last_updated": STAMP,
    } | changes


def _parking() -> dict[str, Any]:
    return {
        "id": "P1",
        "vehicle_types": ["PERSONAL_VEHICLE"],
        "reservation_required": False,
        "restricted_to_type": True,
    }


def _token_230(**changes: Any) -> dict[str, Any]:
    return {
        "country_code": "DE",
        "party_id": "EMS",
        "uid": "A",
        "type": "RFID",
        "contract_id": "DE-EMS-C1",
        "issuer": "eMSP",
        "valid": True,
        "whitelist": "ALLOWED",
        "last_updated": STAMP,
    } | changes


def _price_221(excl: float, incl: float | None = None) -> dict[str, Any]:
    return {"excl_vat": excl} | ({} if incl is None else {"incl_vat": incl})


def _price_230(before: float, *amounts: float) -> dict[str, Any]:
    return {"before_taxes": before} | ({"taxes": [{"name": "VAT", "amount": a} for a in amounts]} if amounts else {})


def _tariff_230(*, tax_included: str = "NO", vat: float | None = None, **changes: Any) -> dict[str, Any]:
    component: dict[str, Any] = {"type": "ENERGY", "price": 0.3, "step_size": 1}
    if vat is not None:
        component["vat"] = vat
    return {
        "country_code": "NL",
        "party_id": "CPO",
        "id": "T1",
        "currency": "EUR",
        "elements": [{"price_components": [component]}],
        "tax_included": tax_included,
        "last_updated": STAMP,
    } | changes


def _cdr_token(token_type: str = "RFID") -> dict[str, Any]:  # noqa: S107 (a token type, not a secret)
    return {"country_code": "DE", "party_id": "EMS", "uid": "A", "type": token_type, "contract_id": "DE-EMS-C1"}


def _period(*dimensions: tuple[str, float]) -> dict[str, Any]:
    return {"start_date_time": STAMP, "dimensions": [{"type": t, "volume": v} for t, v in dimensions]}


def _cdr_230(**changes: Any) -> dict[str, Any]:
    return {
        "country_code": "NL",
        "party_id": "CPO",
        "id": "CDR1",
        "start_date_time": "2025-02-03T02:00:00Z",
        "end_date_time": STAMP,
        "cdr_token": _cdr_token(),
        "auth_method": "WHITELIST",
        "cdr_location": {
            "id": "L1",
            "address": "Main street 1",
            "city": "Amsterdam",
            "country": "NLD",
            "coordinates": {"latitude": "52.370216", "longitude": "4.895168"},
            "evse_uid": "E1",
            "evse_id": "NL*CPO*E1",
            "connector_id": "1",
            "connector_standard": "IEC_62196_T2",
            "connector_format": "SOCKET",
            "connector_power_type": "AC_3_PHASE",
        },
        "currency": "EUR",
        "charging_periods": [_period(("ENERGY", 10.0))],
        "total_cost": _price_230(3.0, 0.63),
        "total_energy": 10.0,
        "total_time": 1.5,
        "last_updated": STAMP,
    } | changes


def _session_230(**changes: Any) -> dict[str, Any]:
    return {
        "country_code": "NL",
        "party_id": "CPO",
        "id": "S1",
        "start_date_time": "2025-02-03T02:00:00Z",
        "kwh": 10.0,
        "cdr_token": _cdr_token(),
        "auth_method": "COMMAND",
        "location_id": "L1",
        "evse_uid": "E1",
        "connector_id": "1",
        "currency": "EUR",
        "status": "ACTIVE",
        "last_updated": STAMP,
    } | changes


def _reserve_now_230(token_type: str) -> dict[str, Any]:
    return {
        "response_url": "https://emsp.example/r/1",
        "token": _token_230(type=token_type),
        "expiry_date": STAMP,
        "reservation_id": "R1",
        "location_id": "L1",
    }


def _down_valid(schema: str, doc: Any) -> Any:
    assert_valid(V230, schema, doc)
    translated = down(schema, doc)
    assert_valid(V221, schema, translated)
    return translated


def _up_valid(schema: str, doc: Any) -> Any:
    assert_valid(V221, schema, doc)
    translated = up(schema, doc)
    assert_valid(V230, schema, translated)
    return translated


@covers("down *.* drops")
def test_down_leaves_out_fields_221_does_not_define() -> None:
    token = _token_230(custom_field="x") | {"energy_contract": {"supplier_name": "S", "x-extra": 1}}
    assert down("Token", token) == _token_230() | {"energy_contract": {"supplier_name": "S"}}


@covers("up *.* drops")
def test_up_leaves_out_fields_221_does_not_define() -> None:
    tariff = _tariff_230() | {"tax_included": "YES", "preauthorize_amount": 10.0, "custom": True}
    translated = up("Tariff", tariff)
    assert "preauthorize_amount" not in translated and "custom" not in translated
    assert translated["tax_included"] == "NO"


@covers(
    "up Location, LocationPatch.address, state keeps",
    "up SignedValue.plain_data keeps",
)
def test_long_221_strings_go_up_unchanged() -> None:
    location = _location_230(address="A" * 200, state="S" * 40)
    assert up("Location", location)["address"] == "A" * 200
    assert up("LocationPatch", {"state": "S" * 40, "last_updated": STAMP})["state"] == "S" * 40
    cdr = down("CDR", _cdr_230())
    cdr["signed_data"] = {
        "encoding_method": "OCMF",
        "signed_values": [{"nature": "Start", "plain_data": "p" * 4000, "signed_data": "s"}],
    }
    assert up("CDR", cdr)["signed_data"]["signed_values"][0]["plain_data"] == "p" * 4000


@covers("down Location, LocationPatch.parking_places, help_phone drops")
def test_location_parking_places_and_help_phone_are_dropped() -> None:
    location = _location_230(parking_places=[_parking()], help_phone="+31 20 000 0000")
    assert _down_valid("Location", location) == _location_230()
    patch = {"parking_places": [_parking()], "name": "Station", "last_updated": STAMP}
    assert down("LocationPatch", patch) == {"name": "Station", "last_updated": STAMP}


@covers(
    "down Location, LocationPatch.evses drops",
    "down EVSE, EVSEPatch.connectors drops",
    "down Connector, ConnectorPatch.standard refuses",
)
def test_connectors_and_evses_2_2_1_cannot_carry_are_left_out() -> None:
    mixed = _evse_230(uid="E1", connectors=[_connector_230(id="1", standard="MCS"), _connector_230(id="2")])
    only_new = _evse_230(uid="E2", connectors=[_connector_230(standard="SAE_J3400"), _connector_230(standard="X1")])
    location = _down_valid("Location", _location_230(evses=[mixed, only_new]))
    assert [e["uid"] for e in location["evses"]] == ["E1"]
    assert [c["id"] for c in location["evses"][0]["connectors"]] == ["2"]
    patch = down("LocationPatch", {"evses": [only_new, mixed], "last_updated": STAMP})
    assert [e["uid"] for e in patch["evses"]] == ["E1"]
    with pytest.raises(Untranslatable, match=r"none of its connectors has a standard OCPI 2\.2\.1 knows"):
        down("EVSE", only_new)
    with pytest.raises(Untranslatable, match="none of its connectors"):
        down("EVSEPatch", {"connectors": only_new["connectors"], "last_updated": STAMP})
    assert [
        c["id"] for c in down("EVSEPatch", {"connectors": mixed["connectors"], "last_updated": STAMP})["connectors"]
    ] == ["2"]
    with pytest.raises(Untranslatable, match="connector standard MCS"):
        down("Connector", _connector_230(standard="MCS"))
    with pytest.raises(Untranslatable, match="connector standard SAE_J3400"):
        down("ConnectorPatch", {"standard": "SAE_J3400", "last_updated": STAMP})
    assert down("ConnectorPatch", {"standard": "CHADEMO", "last_updated": STAMP})["standard"] == "CHADEMO"


@covers("down Location, LocationPatch.facilities drops", "down Location, LocationPatch.parking_type drops")
def test_location_values_2_2_1_does_not_know_are_left_out() -> None:
    location = _location_230(facilities=["CAFE", "DRONE_PORT", "WIFI"], parking_type="ROOFTOP")
    translated = _down_valid("Location", location)
    assert translated["facilities"] == ["CAFE", "WIFI"]
    assert "parking_type" not in translated
    assert down("Location", _location_230(parking_type="ON_STREET"))["parking_type"] == "ON_STREET"
    patch = down("LocationPatch", {"facilities": ["SPACEPORT"], "parking_type": "X", "last_updated": STAMP})
    assert patch == {"facilities": [], "last_updated": STAMP}


@covers("down Location, LocationPatch.publish_allowed_to drops", "down PublishTokenType.type refuses")
def test_publish_allowed_to_loses_entries_of_token_types_2_2_1_lacks() -> None:
    allowed = [
        {"uid": "A", "type": "EMAID"},
        {"uid": "B", "type": "RFID"},
        {"group_id": "G"},
        {"uid": "C", "type": "NEW"},
    ]
    location = _down_valid("Location", _location_230(publish=False, publish_allowed_to=allowed))
    assert location["publish_allowed_to"] == [{"uid": "B", "type": "RFID"}, {"group_id": "G"}]
    assert location["publish"] is False
    patch = down("LocationPatch", {"publish_allowed_to": allowed[:1], "last_updated": STAMP})
    assert patch["publish_allowed_to"] == []


@covers("down EVSE, EVSEPatch.parking, accepted_service_providers drops")
def test_evse_parking_and_accepted_service_providers_are_dropped() -> None:
    evse = _evse_230(parking=[{"parking_id": "P1", "evse_position": "LEFT"}], accepted_service_providers=["NL*A"])
    assert _down_valid("EVSE", evse) == _evse_230()
    assert down("EVSEPatch", {"parking": [], "status": "CHARGING", "last_updated": STAMP}) == {
        "status": "CHARGING",
        "last_updated": STAMP,
    }


@covers("down EVSE, EVSEPatch.parking_restrictions drops", "down EVSE, EVSEPatch.capabilities drops")
def test_evse_values_2_2_1_does_not_know_are_left_out() -> None:
    evse = _evse_230(
        parking_restrictions=["EV_ONLY", "TAXIS", "EMPLOYEES", "TENANTS", "DISABLED", "BOATS"],
        capabilities=["RFID_READER", "TELEPORT", "RESERVABLE"],
    )
    translated = _down_valid("EVSE", evse)
    assert translated["parking_restrictions"] == ["EV_ONLY", "DISABLED"]
    assert translated["capabilities"] == ["RFID_READER", "RESERVABLE"]
    patch = down("EVSEPatch", {"parking_restrictions": ["TAXIS"], "capabilities": ["X"], "last_updated": STAMP})
    assert patch == {"parking_restrictions": [], "capabilities": [], "last_updated": STAMP}


@covers("down Connector, ConnectorPatch.capabilities drops")
def test_connector_capabilities_are_dropped() -> None:
    connector = _connector_230(capabilities=["ISO_15118_2_PLUG_AND_CHARGE"])
    assert _down_valid("Connector", connector) == _connector_230()
    location = down("Location", _location_230(evses=[_evse_230(connectors=[connector])]))
    assert "capabilities" not in location["evses"][0]["connectors"][0]


@covers("down Image.category maps")
def test_image_category_2_2_1_does_not_know_becomes_other() -> None:
    images = [
        {"url": "https://cpo.example/a.png", "category": "DRONE_VIEW", "type": "png"},
        {"url": "https://cpo.example/b.png", "category": "CHARGER", "type": "png"},
    ]
    translated = _down_valid("Location", _location_230(images=images))
    assert [i["category"] for i in translated["images"]] == ["OTHER", "CHARGER"]


@covers("down EnergyMix.environ_impact drops", "down EnvironmentalImpact.category refuses")
def test_environmental_impacts_of_unknown_categories_are_left_out() -> None:
    mix = {
        "is_green_energy": False,
        "environ_impact": [
            {"category": "NUCLEAR_WASTE", "amount": 0.1},
            {"category": "METHANE", "amount": 3.0},
            {"category": "CARBON_DIOXIDE", "amount": 300.0},
        ],
    }
    translated = _down_valid("Location", _location_230(energy_mix=mix))
    assert [i["category"] for i in translated["energy_mix"]["environ_impact"]] == ["NUCLEAR_WASTE", "CARBON_DIOXIDE"]
    tariff = down("Tariff", _tariff_230(energy_mix=mix))
    assert len(tariff["energy_mix"]["environ_impact"]) == 2


@covers("down Token, TokenPatch.type refuses")
def test_tokens_of_types_2_2_1_lacks_are_refused() -> None:
    for token_type in ("EMAID", "WALLET"):
        with pytest.raises(Untranslatable, match=f"token type {token_type} does not exist in OCPI 2.2.1"):
            down("Token", _token_230(type=token_type))
        with pytest.raises(Untranslatable, match=f"token type {token_type}"):
            down("TokenPatch", {"type": token_type, "last_updated": STAMP})
    for token_type in ("AD_HOC_USER", "APP_USER", "OTHER", "RFID"):
        assert _down_valid("Token", _token_230(type=token_type))["type"] == token_type
    assert down("TokenPatch", {"valid": False, "last_updated": STAMP}) == {"valid": False, "last_updated": STAMP}


@covers("down StartSession, ReserveNow, AuthorizationInfo.token.type maps")
def test_a_token_inside_a_command_or_authorization_becomes_other() -> None:
    start = {
        "response_url": "https://emsp.example/r/1",
        "token": _token_230(type="EMAID", custom="x"),
        "location_id": "L1",
    }
    translated = down("StartSession", start)
    assert_valid(V221, "StartSession", translated)
    assert translated["token"] == _token_230(type="OTHER")
    assert _down_valid("ReserveNow", _reserve_now_230("WALLET"))["token"]["type"] == "OTHER"
    info = {"allowed": "ALLOWED", "token": _token_230(type="EMAID"), "authorization_reference": "REF1"}
    assert _down_valid("AuthorizationInfo", info)["token"]["type"] == "OTHER"
    assert down("StartSession", start | {"token": _token_230(type="APP_USER")})["token"]["type"] == "APP_USER"


@covers("down CdrToken.type maps")
def test_cdr_token_type_2_2_1_lacks_becomes_other() -> None:
    assert _down_valid("CDR", _cdr_230(cdr_token=_cdr_token("EMAID")))["cdr_token"]["type"] == "OTHER"
    assert _down_valid("Session", _session_230(cdr_token=_cdr_token("X")))["cdr_token"]["type"] == "OTHER"
    patch = down("SessionPatch", {"cdr_token": _cdr_token("EMAID"), "last_updated": STAMP})
    assert patch["cdr_token"]["type"] == "OTHER"
    assert down("Session", _session_230())["cdr_token"]["type"] == "RFID"


@covers("up Price.excl_vat, incl_vat maps")
def test_price_goes_up_as_before_taxes_and_one_vat_amount() -> None:
    session = down("Session", _session_230())
    cases = [
        (_price_221(4.0, 4.4), _price_230(4.0, 0.4)),
        (_price_221(1.2345, 1.4938), _price_230(1.2345, 0.2593)),
        (_price_221(-10.5, -12.705), _price_230(-10.5, -2.205)),
        (_price_221(7.0), _price_230(7.0)),
        (_price_221(0, 0), _price_230(0, 0.0)),
        (_price_221(0.1, 0.3), _price_230(0.1, 0.2)),  # binary floats would give 0.19999999999999998
    ]
    for price, expected in cases:
        translated = _up_valid("Session", session | {"total_cost": price})
        assert translated["total_cost"] == expected
        assert down("Session", translated)["total_cost"] == price
    assert up("SessionPatch", {"total_cost": _price_221(2.0, 2.42), "last_updated": STAMP})["total_cost"] == (
        _price_230(2.0, 0.42)
    )


@covers("down Price.before_taxes, taxes maps")
def test_price_goes_down_as_excl_and_incl_vat() -> None:
    cases = [
        (_price_230(4.0, 0.4), _price_221(4.0, 4.4)),
        (_price_230(10.0, 0.5, 0.99975), _price_221(10.0, 11.4998)),
        (_price_230(-3.0, -0.63), _price_221(-3.0, -3.63)),
        (_price_230(5.0), _price_221(5.0)),
        ({"before_taxes": 5.0, "taxes": []}, _price_221(5.0)),
        (
            {"before_taxes": 1.0, "taxes": [{"name": "GST", "amount": 0.05, "percentage": 5, "account_number": "1"}]},
            _price_221(1.0, 1.05),
        ),
    ]
    for price, expected in cases:
        assert _down_valid("Session", _session_230(total_cost=price))["total_cost"] == expected
    cdr = down(
        "CDR", _cdr_230(total_cost=_price_230(4.0, 0.4), total_energy_cost=_price_230(2.0), total_fixed_cost=None)
    )
    assert_valid(V221, "CDR", cdr)
    assert cdr["total_cost"] == _price_221(4.0, 4.4)
    assert cdr["total_energy_cost"] == _price_221(2.0)
    assert cdr["total_fixed_cost"] is None


@covers(f"down CDR.{', '.join(tr.CDR_PRICES)} derives")
def test_a_cdr_whose_tariffs_have_no_tax_gets_incl_vat_equal_to_excl_vat() -> None:
    untaxed = [_tariff_230(tax_included="N/A"), _tariff_230(id="T2", tax_included="N/A")]
    cdr = _cdr_230(total_cost=_price_230(3.0), total_time_cost=_price_230(1.0), tariffs=untaxed)
    translated = _down_valid("CDR", cdr)
    assert translated["total_cost"] == _price_221(3.0, 3.0)
    assert translated["total_time_cost"] == _price_221(1.0, 1.0)
    mixed = cdr | {"tariffs": [*untaxed, _tariff_230(id="T3")]}
    assert down("CDR", mixed)["total_cost"] == _price_221(3.0)
    assert down("CDR", cdr | {"tariffs": []})["total_cost"] == _price_221(3.0)
    taxed = cdr | {"total_cost": _price_230(3.0, 0.5)}
    assert down("CDR", taxed)["total_cost"] == _price_221(3.0, 3.5)


@covers("down CdrDimension.type maps", "down CdrDimension.type refuses", "down ChargingPeriod.dimensions drops")
def test_booking_dimensions_become_reservation_time_or_are_left_out() -> None:
    periods = [
        _period(("RESERVATION_EXPIRES", 0.25), ("RESERVATION_OVERTIME", 0.1)),
        _period(("ENERGY", 5.0), ("RESERVATION_OVERTIME", 0.5)),
    ]
    translated = _down_valid("CDR", _cdr_230(charging_periods=periods))
    assert [p["dimensions"] for p in translated["charging_periods"]] == [
        [{"type": "RESERVATION_TIME", "volume": 0.25}],
        [{"type": "ENERGY", "volume": 5.0}],
    ]


@covers("down Session, SessionPatch.charging_periods drops")
def test_session_periods_left_without_dimensions_are_left_out() -> None:
    periods = [_period(("RESERVATION_OVERTIME", 0.5)), _period(("ENERGY", 1.0))]
    translated = _down_valid("Session", _session_230(charging_periods=periods))
    assert translated["charging_periods"] == [_period(("ENERGY", 1.0))]
    patch = down("SessionPatch", {"charging_periods": periods[:1], "last_updated": STAMP})
    assert patch == {"charging_periods": [], "last_updated": STAMP}


@covers("down CDR.charging_periods drops")
def test_cdr_periods_left_without_dimensions_are_left_out_and_a_cdr_needs_one() -> None:
    periods = [_period(("RESERVATION_OVERTIME", 0.5)), _period(("TIME", 1.0))]
    assert _down_valid("CDR", _cdr_230(charging_periods=periods))["charging_periods"] == [_period(("TIME", 1.0))]
    with pytest.raises(Untranslatable, match="every charging period holds only RESERVATION_OVERTIME"):
        down("CDR", _cdr_230(charging_periods=periods[:1]))


@covers("down CDR.tariffs drops")
def test_tariffs_a_cdr_embeds_that_2_2_1_cannot_carry_are_left_out() -> None:
    periods = [_period(("ENERGY", 1.0)) | {"tariff_id": "T2"}]
    tariffs = [_tariff_230(), _tariff_230(id="T2", tax_included="YES")]
    translated = _down_valid("CDR", _cdr_230(tariffs=tariffs, charging_periods=periods))
    assert [t["id"] for t in translated["tariffs"]] == ["T1"]
    assert translated["charging_periods"][0]["tariff_id"] == "T2"


@covers("down CDR.booking_id drops")
def test_cdr_booking_id_is_dropped() -> None:
    assert _down_valid("CDR", _cdr_230(booking_id="B1")) == down("CDR", _cdr_230())
    assert "booking_id" not in down("CDR", _cdr_230(booking_id="B1"))


@covers("down CdrLocation.connector_standard keeps")
def test_a_cdr_keeps_a_connector_standard_2_2_1_lacks_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    cdr = _cdr_230()
    cdr["cdr_location"]["connector_standard"] = "MCS"
    with caplog.at_level(logging.WARNING, logger="reference_hub.ocpi.translate"):
        translated = down("CDR", cdr)
    assert translated["cdr_location"]["connector_standard"] == "MCS"
    assert "connector_standard MCS" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="reference_hub.ocpi.translate"):
        down("CDR", _cdr_230())
    assert caplog.text == ""


@covers("up Tariff.min_price, max_price maps", "down Tariff.min_price, max_price maps")
def test_price_limits_convert_both_ways_without_loss() -> None:
    tariff = _tariff_230(min_price={"before_taxes": 0.5, "after_taxes": 0.55}, max_price={"before_taxes": 20})
    translated = _down_valid("Tariff", tariff)
    assert translated["min_price"] == _price_221(0.5, 0.55)
    assert translated["max_price"] == _price_221(20)
    back = _up_valid("Tariff", translated)
    assert back["min_price"] == {"before_taxes": 0.5, "after_taxes": 0.55}
    assert back["max_price"] == {"before_taxes": 20}
    assert back == tariff


@covers("up Tariff.tax_included derives")
def test_a_221_tariff_goes_up_as_tax_excluded() -> None:
    tariff = down("Tariff", _tariff_230(vat=21.0))
    assert "tax_included" not in tariff
    translated = _up_valid("Tariff", tariff)
    assert translated["tax_included"] == "NO"
    assert translated["elements"] == tariff["elements"]
    cdr = _up_valid("CDR", down("CDR", _cdr_230(tariffs=[_tariff_230()])))
    assert cdr["tariffs"][0]["tax_included"] == "NO"


@covers("down Tariff.preauthorize_amount drops", "down Tariff.tax_included drops")
def test_tariff_preauthorize_amount_and_tax_included_are_dropped() -> None:
    translated = _down_valid("Tariff", _tariff_230(preauthorize_amount=25.0))
    assert "preauthorize_amount" not in translated and "tax_included" not in translated
    assert translated["elements"] == _tariff_230()["elements"]


@covers("down Tariff.elements drops", "down TariffRestrictions.booking drops")
def test_tariff_elements_for_bookings_are_left_out_whole() -> None:
    booking = {"restrictions": {"booking": "BOOKING", "max_duration": 3600}, "price_components": [_fee(5.0)]}
    plain = {"restrictions": {"reservation": "RESERVATION", "booking": None}, "price_components": [_fee(1.0)]}
    translated = _down_valid("Tariff", _tariff_230(elements=[booking, plain]))
    assert translated["elements"] == [{"restrictions": {"reservation": "RESERVATION"}, "price_components": [_fee(1.0)]}]
    with pytest.raises(Untranslatable, match="every tariff element applies to Bookings"):
        down("Tariff", _tariff_230(elements=[booking]))


def _fee(price: float, vat: float | None = None) -> dict[str, Any]:
    return {"type": "FLAT", "price": price, "step_size": 1} | ({} if vat is None else {"vat": vat})


@covers("down Tariff.tax_included refuses")
def test_tax_inclusive_tariffs_without_vat_rates_are_refused() -> None:
    with pytest.raises(Untranslatable, match=r"tax_included YES\) and a price component has no vat rate"):
        down("Tariff", _tariff_230(tax_included="YES"))
    partly = _tariff_230(tax_included="YES", elements=[{"price_components": [_fee(1.0, 20.0), _fee(2.0)]}])
    with pytest.raises(Untranslatable, match="no vat rate"):
        down("Tariff", partly)
    unknown = _tariff_230()
    del unknown["tax_included"]
    with pytest.raises(Untranslatable, match="tax_included None is not YES, NO or N/A"):
        down("Tariff", unknown)
    assert down("Tariff", _tariff_230(tax_included="NO"))["elements"][0]["price_components"][0]["price"] == 0.3


@covers("down Tariff.elements.price_components.price maps")
def test_tax_inclusive_prices_go_down_without_vat() -> None:
    elements = [
        {"price_components": [_fee(1.21, 21.0), {"type": "ENERGY", "price": 0.35, "vat": 19, "step_size": 1}]},
        {"price_components": [_fee(2.10, 5.0), _fee(0.0, 0.0), _fee(0.99999, 20.0)]},
    ]
    translated = _down_valid("Tariff", _tariff_230(tax_included="YES", elements=elements))
    prices = [[(c["price"], c.get("vat")) for c in e["price_components"]] for e in translated["elements"]]
    assert prices == [[(1.0, 21.0), (0.2941, 19)], [(2.0, 5.0), (0.0, 0.0), (0.8333, 20.0)]]
    untaxed = _tariff_230(tax_included="NO", elements=elements)
    assert down("Tariff", untaxed)["elements"] == elements


@covers("down Tariff.elements.price_components.vat drops")
def test_vat_is_left_out_of_tariffs_without_tax() -> None:
    elements = [{"price_components": [_fee(1.0, 0.0), _fee(2.0)]}]
    translated = _down_valid("Tariff", _tariff_230(tax_included="N/A", elements=elements))
    assert translated["elements"] == [{"price_components": [_fee(1.0), _fee(2.0)]}]
    assert down("Tariff", _tariff_230(tax_included="NO", elements=elements))["elements"] == elements


@covers("up ClientInfo.role maps")
def test_a_connected_hub_goes_up_as_other() -> None:
    info = {"party_id": "HUB", "country_code": "DE", "role": "HUB", "status": "CONNECTED", "last_updated": STAMP}
    assert _up_valid("ClientInfo", info) == info | {"role": "OTHER"}
    cpo = info | {"role": "CPO"}
    assert up("ClientInfo", cpo) == cpo
    assert _down_valid("ClientInfo", info | {"role": "OTHER"}) == info | {"role": "OTHER"}


def test_every_rule_has_a_test() -> None:
    assert {r.key for r in RULES} - set(TESTS_OF) == set()


def _without(key: str) -> tuple[Rule, ...]:
    """RULES with the rule of ``key`` doing nothing."""

    def keep_value(value: Any) -> Any:
        return value

    def keep_object(_: Any, translated: Any) -> Any:
        return translated

    return tuple(
        dataclasses.replace(
            rule,
            on_field=keep_value if rule.on_field else None,
            on_object=keep_object if rule.on_object else None,
        )
        if rule.key == key
        else rule
        for rule in RULES
    )


ACTING = [r.key for r in RULES if r.on_field is not None or r.on_object is not None]


@pytest.mark.parametrize("key", ACTING)
def test_the_tests_of_a_rule_fail_when_it_does_nothing(
    key: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Mutation check of the tests above: with one rule turned into a plain copy (the plans rebuilt), at least one
    of its tests fails (an assertion, or the code then reading what is not there). Rules without an act are the
    generic dropping of fields, proven by their own tests."""
    monkeypatch.setattr(tr, "RULES", _without(key))
    tr._plan.cache_clear()
    tr._step_into.cache_clear()
    failed = []
    try:
        for test in TESTS_OF[key]:
            try:
                test(caplog) if "caplog" in test.__code__.co_varnames[: test.__code__.co_argcount] else test()
            except (AssertionError, LookupError, pytest.fail.Exception) as error:  # a check failed, or a crash
                failed.append(f"{test.__name__}: {type(error).__name__}")
    finally:
        monkeypatch.undo()
        tr._plan.cache_clear()
        tr._step_into.cache_clear()
    assert failed, f"no test of {key} fails when the rule does nothing"


# -- the documentation -------------------------------------------------------------------------------------------------


def test_translation_doc_is_generated_from_the_rules() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "gen_translation_doc.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_translation_doc_lists_every_rule() -> None:
    text = (ROOT / "docs" / "translation.md").read_text(encoding="utf-8")
    for rule in RULES:
        assert rule.what in text, rule.key
    assert tr.VAT in text
