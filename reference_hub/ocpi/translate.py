"""OCPI objects translated between 2.2.1 and 2.3.0, one direction each way, driven by one table of rules.

Why a table: every rule that drops, derives, maps, refuses or deliberately keeps a field is one :data:`RULES` entry
that both does the work and says what it does and why (``docs/translation.md`` is generated from it), so what the hub
does and what it documents cannot drift apart. Everything else about an object (how it nests, which fields each
version defines, which values 2.2.1's closed enumerations hold) is read from the generated models of the two
versions: a field the receiving version does not define is left out, and a test insists that every field and value
the two versions do not share has a rule.

The rules take the recommended default of the spec digest (``v221.md`` §7) wherever it offers a choice. Translation
is a pure function of its input (no settings; where the digest says "configured", the default is used and named in
the rule), deterministic, and never changes ``last_updated``, object ids or party ids.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any, Final, Literal

import msgspec.inspect as mi

from reference_hub.ocpi import models as models_230
from reference_hub.ocpi import models_221

__all__ = (
    "RULES",
    "TRANSLATED",
    "Direction",
    "Kind",
    "Rule",
    "Untranslatable",
    "down",
    "down_items",
    "prepare",
    "up",
)

_log = logging.getLogger(__name__)

Direction = Literal["up", "down"]
"""``up``: from 2.2.1 to 2.3.0; ``down``: from 2.3.0 to 2.2.1."""
Kind = Literal["drops", "derives", "maps", "refuses", "keeps"]

Doc = dict[str, Any]
FieldAct = Callable[[Any], Any]
"""A field's value (never None) -> its translated value, or :data:`_OMIT` to leave the field out."""
ObjectAct = Callable[[Doc, Doc], Doc]
"""(source object, object translated field by field) -> the translated object."""


class Untranslatable(Exception):
    """The object cannot be carried faithfully to the other version; ``reason`` says why (for an OCPI error
    message to the sender, or the hub's log when a broadcast skips a receiver)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Rule:
    """One thing translation does that is not a plain copy."""

    schema: str
    """The object(s) the rule applies to: a schema name, or several joined by ``", "``."""
    field: str
    """The field(s) concerned, joined by ``", "``; ``*`` for every field."""
    direction: Direction
    kind: Kind
    what: str
    """What happens, in a sentence a reader of the README understands."""
    why: str
    """Where the rule comes from (a section of the spec digest ``v221.md``), and any reading taken."""
    on_field: FieldAct | None = dataclasses.field(default=None, repr=False, compare=False)
    on_object: ObjectAct | None = dataclasses.field(default=None, repr=False, compare=False)

    @property
    def schemas(self) -> tuple[str, ...]:
        return tuple(self.schema.split(", "))

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(self.field.split(", "))

    @property
    def key(self) -> str:
        """A name for the rule that tests and logs can quote."""
        return f"{self.direction} {self.schema}.{self.field} {self.kind}"


_OMIT: Final = object()
"""Returned by a field act: leave the field out."""

VAT: Final = "VAT"
"""The tax name given to 2.2.1's incl_vat - excl_vat going up (the digest's default for its configurable name)."""


# --- numbers ---------------------------------------------------------------------------------------------------------


def _dec(value: float | int) -> Decimal:
    """The number exactly as it was written on the wire (a float's shortest repr), so sums come out exact."""
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def _round4(value: Decimal) -> float:
    """OCPI numbers carry at most four decimals; half-way values round away from zero (credit amounts alike)."""
    return float(value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


# --- enumerations ----------------------------------------------------------------------------------------------------


def _values(enum: type[StrEnum]) -> frozenset[str]:
    return frozenset(member.value for member in enum)


def _drop_unknown_values(enum: type[StrEnum]) -> FieldAct:
    known = _values(enum)
    return lambda values: [v for v in values if v in known]


def _omit_unknown(enum: type[StrEnum]) -> FieldAct:
    known = _values(enum)
    return lambda value: value if value in known else _OMIT


def _map_unknown(enum: type[StrEnum], fallback: str) -> FieldAct:
    known = _values(enum)
    return lambda value: value if value in known else fallback


def _refuse_unknown(enum: type[StrEnum], what: str) -> FieldAct:
    known = _values(enum)

    def act(value: Any) -> Any:
        if value not in known:
            raise Untranslatable(f"{what} {value} does not exist in OCPI 2.2.1")
        return value

    return act


def _map_value(source: str, target: str) -> FieldAct:
    return lambda value: target if value == source else value


def _refuse_value(refused: str, reason: str) -> FieldAct:
    def act(value: Any) -> Any:
        if value == refused:
            raise Untranslatable(reason)
        return value

    return act


# --- lists whose items may not survive -------------------------------------------------------------------------------


def _carry_each(item_schema: str, direction: Direction, *, none_left: str | None = None) -> FieldAct:
    """Translate every item of a list, leaving out those that cannot be carried; with ``none_left``, a list left
    empty makes its owner untranslatable (the field needs at least one item)."""

    def act(items: list[Any]) -> list[Any]:
        plan = _plan(item_schema, direction)
        kept = []
        for item in items:
            try:
                kept.append(plan(item))
            except Untranslatable:
                continue
        if none_left is not None and items and not kept:
            raise Untranslatable(none_left)
        return kept

    return act


_TAX_INCLUDED: Final = _values(models_230.TaxIncluded)
_TOKEN_TYPES_221: Final = _values(models_221.TokenType)
_CONNECTOR_TYPES_221: Final = _values(models_221.ConnectorType)


# --- Price, PriceLimit -----------------------------------------------------------------------------------------------


def _price_up(source: Doc, _: Doc) -> Doc:
    price: Doc = {"before_taxes": source["excl_vat"]}
    if source.get("incl_vat") is not None:
        price["taxes"] = [{"name": VAT, "amount": _round4(_dec(source["incl_vat"]) - _dec(source["excl_vat"]))}]
    return price


def _price_down(source: Doc, _: Doc) -> Doc:
    price: Doc = {"excl_vat": source["before_taxes"]}
    taxes = source.get("taxes") or []
    if taxes:
        price["incl_vat"] = _round4(_dec(source["before_taxes"]) + sum((_dec(t["amount"]) for t in taxes), Decimal()))
    return price


def _price_limit_up(limit: Doc) -> Doc:
    out: Doc = {"before_taxes": limit["excl_vat"]}
    if "incl_vat" in limit:
        out["after_taxes"] = limit["incl_vat"]
    return out


def _price_limit_down(limit: Doc) -> Doc:
    out: Doc = {"excl_vat": limit["before_taxes"]}
    if "after_taxes" in limit:
        out["incl_vat"] = limit["after_taxes"]
    return out


# --- Tariffs ---------------------------------------------------------------------------------------------------------


def _tax_included_up(_: Doc, tariff: Doc) -> Doc:
    tariff["tax_included"] = models_230.TaxIncluded.NO.value
    return tariff


def _components(tariff: Doc) -> Iterable[Doc]:
    for element in tariff.get("elements") or []:
        yield from element.get("price_components") or []


def _tax_included_carried(source: Doc, tariff: Doc) -> Doc:
    tax_included = source.get("tax_included")
    if tax_included not in _TAX_INCLUDED:
        raise Untranslatable(f"tax_included {tax_included!r} is not YES, NO or N/A: what its prices mean is unknown")
    if tax_included == models_230.TaxIncluded.YES and any(c.get("vat") is None for c in _components(tariff)):
        raise Untranslatable(
            "its prices include taxes (tax_included YES) and a price component has no vat rate, so the price "
            "excluding VAT that OCPI 2.2.1 requires cannot be computed"
        )
    return tariff


def _tax_inclusive_prices_down(source: Doc, tariff: Doc) -> Doc:
    if source["tax_included"] == models_230.TaxIncluded.YES:
        for component in _components(tariff):
            component["price"] = _round4(_dec(component["price"]) / (1 + _dec(component["vat"]) / 100))
    return tariff


def _no_tax_drops_vat(source: Doc, tariff: Doc) -> Doc:
    if source["tax_included"] == models_230.TaxIncluded.N_A:
        for component in _components(tariff):
            component.pop("vat", None)
    return tariff


def _elements_without_booking(elements: list[Doc]) -> list[Doc]:
    plan = _plan("TariffElement", "down")
    kept = [plan(e) for e in elements if (e.get("restrictions") or {}).get("booking") is None]
    if not kept:
        raise Untranslatable("every tariff element applies to Bookings (restrictions.booking), unknown to OCPI 2.2.1")
    return kept


# --- Sessions and CDRs -----------------------------------------------------------------------------------------------

CDR_PRICES: Final = (
    "total_cost",
    "total_fixed_cost",
    "total_energy_cost",
    "total_time_cost",
    "total_parking_cost",
    "total_reservation_cost",
)


def _untaxed_cdr_incl_vat(source: Doc, cdr: Doc) -> Doc:
    tariffs = source.get("tariffs") or []
    if tariffs and all(t.get("tax_included") == models_230.TaxIncluded.N_A for t in tariffs):
        for name in CDR_PRICES:
            price = cdr.get(name)
            if price is not None and price.get("incl_vat") is None:
                price["incl_vat"] = price["excl_vat"]
    return cdr


def _alert_connector_standard(value: Any) -> Any:
    if value not in _CONNECTOR_TYPES_221:
        _log.warning(
            "a CDR goes to an OCPI 2.2.1 party with cdr_location.connector_standard %s, which 2.2.1 does not know; "
            "passed on unchanged (a billing record is neither dropped nor altered)",
            value,
        )
    return value


def _embedded_token_down(token: Doc) -> Doc:
    return _plan("Token", "down")(token if token.get("type") in _TOKEN_TYPES_221 else {**token, "type": "OTHER"})


# --- the table -------------------------------------------------------------------------------------------------------

_LOCATION = "Location, LocationPatch"
_EVSE = "EVSE, EVSEPatch"
_CONNECTOR = "Connector, ConnectorPatch"
_SESSION = "Session, SessionPatch"
_DIMENSIONS = "ChargingPeriod"

RULES: tuple[Rule, ...] = (
    # -- every object --
    Rule(
        "*",
        "*",
        "down",
        "drops",
        "Every field OCPI 2.2.1 does not define is left out: the 2.3.0-only fields named below and any custom field.",
        "v221.md §7.1.4: 2.2.1 has no rule that receivers tolerate unknown fields.",
    ),
    Rule(
        "*",
        "*",
        "up",
        "drops",
        "A field OCPI 2.2.1 does not define, sent by a 2.2.1 party anyway, is left out.",
        "v221.md §7.1.4 speaks only of 2.3.0 sources; a field outside 2.2.1 has no meaning we could vouch for, and "
        "could share its name with a 2.3.0 field of another meaning (tax_included).",
    ),
    Rule(
        "Location, LocationPatch",
        "address, state",
        "up",
        "keeps",
        "Values are passed on unchanged, also above 2.3.0's first-edition limits (address 45, state 20); 2.3.0 "
        "edition 2 raised the Location's to the 2.2.1 errata's 255 and 45.",
        "v221.md §7.2 (string lengths): pass through, never truncate by default.",
    ),
    Rule(
        "SignedValue",
        "plain_data",
        "up",
        "keeps",
        "Passed on unchanged, also above 2.3.0's first-edition limit of 512 (edition 2 and the 2.2.1 errata: 5000).",
        "v221.md §7.2 (string lengths): never truncated, or the signature check would fail.",
    ),
    # -- Locations --
    Rule(
        _LOCATION,
        "parking_places, help_phone",
        "down",
        "drops",
        "Left out: 2.2.1 has no parking places and no help phone number.",
        "v221.md §6.1, §7.3 (Location row).",
    ),
    Rule(
        _LOCATION,
        "evses",
        "down",
        "drops",
        "EVSEs that cannot be carried (no connector left, see EVSE.connectors) are left out of the list; the 2.2.1 "
        "party does not see them.",
        "v221.md §7.3 (EVSE row).",
        on_field=_carry_each("EVSE", "down"),
    ),
    Rule(
        _LOCATION,
        "facilities",
        "down",
        "drops",
        "Values 2.2.1 does not know (custom values of the 2.3.0 open enumeration) are left out of the list.",
        "v221.md §7.2 (enumeration values).",
        on_field=_drop_unknown_values(models_221.Facility),
    ),
    Rule(
        _LOCATION,
        "parking_type",
        "down",
        "drops",
        "A value 2.2.1 does not know (a custom value) leaves the optional field out.",
        "v221.md §7.2 (enumeration values).",
        on_field=_omit_unknown(models_221.ParkingType),
    ),
    Rule(
        _LOCATION,
        "publish_allowed_to",
        "down",
        "drops",
        "Entries that cannot be carried (see PublishTokenType.type) are left out: visibility narrows, it never widens.",
        "v221.md §7.2 (PublishTokenType.type).",
        on_field=_carry_each("PublishTokenType", "down"),
    ),
    Rule(
        "PublishTokenType",
        "type",
        "down",
        "refuses",
        "EMAID or another type 2.2.1 does not know: the entry cannot be carried (it is left out of its list).",
        "v221.md §7.2 (PublishTokenType.type).",
        on_field=_refuse_unknown(models_221.TokenType, "token type"),
    ),
    Rule(
        _EVSE,
        "parking, accepted_service_providers",
        "down",
        "drops",
        "Left out: 2.2.1 has neither EVSE parking places nor accepted service providers.",
        "v221.md §6.1, §7.3 (EVSE row).",
    ),
    Rule(
        _EVSE,
        "connectors",
        "down",
        "drops",
        "Connectors that cannot be carried (see Connector.standard) are left out; an EVSE left with none cannot be "
        "carried (connectors needs at least one).",
        "v221.md §7.2 (Connector.standard), §7.3 (EVSE row).",
        on_field=_carry_each(
            "Connector", "down", none_left="none of its connectors has a standard OCPI 2.2.1 knows (e.g. MCS)"
        ),
    ),
    Rule(
        _EVSE,
        "parking_restrictions",
        "down",
        "drops",
        "EMPLOYEES, TAXIS, TENANTS and custom values are left out of the list.",
        "v221.md §7.2 (EVSE.parking_restrictions).",
        on_field=_drop_unknown_values(models_221.ParkingRestriction),
    ),
    Rule(
        _EVSE,
        "capabilities",
        "down",
        "drops",
        "Custom values are left out of the list.",
        "v221.md §7.2 (EVSE.capabilities).",
        on_field=_drop_unknown_values(models_221.Capability),
    ),
    Rule(
        _CONNECTOR,
        "capabilities",
        "down",
        "drops",
        "Left out: 2.2.1 has no connector capabilities (Plug & Charge).",
        "v221.md §6.1, §7.3 (Connector row).",
    ),
    Rule(
        _CONNECTOR,
        "standard",
        "down",
        "refuses",
        "MCS, SAE_J3400 or a custom standard: the Connector cannot be carried (refused on its own, left out of its "
        "EVSE); a Connector PATCH setting such a standard is refused too.",
        "v221.md §7.2 (Connector.standard; the digest's default, SAE_J3400 is not TESLA_S).",
        on_field=_refuse_unknown(models_221.ConnectorType, "connector standard"),
    ),
    Rule(
        "Image",
        "category",
        "down",
        "maps",
        "A category 2.2.1 does not know (a custom value) becomes OTHER.",
        "v221.md §7.2 (Image.category).",
        on_field=_map_unknown(models_221.ImageCategory, "OTHER"),
    ),
    Rule(
        "EnergyMix",
        "environ_impact",
        "down",
        "drops",
        "Entries that cannot be carried (see EnvironmentalImpact.category) are left out of the list.",
        "v221.md §7.2 (EnergyMix.environ_impact).",
        on_field=_carry_each("EnvironmentalImpact", "down"),
    ),
    Rule(
        "EnvironmentalImpact",
        "category",
        "down",
        "refuses",
        "A category 2.2.1 does not know (a custom value): the entry cannot be carried.",
        "v221.md §7.2 (EnergyMix.environ_impact).",
        on_field=_refuse_unknown(models_221.EnvironmentalImpactCategory, "environmental impact category"),
    ),
    # -- Tokens --
    Rule(
        "Token, TokenPatch",
        "type",
        "down",
        "refuses",
        "EMAID or another type 2.2.1 does not know: the Token (or its PATCH) is not pushed to a 2.2.1 party.",
        "v221.md §7.2 (Token.type): 2.3.0 itself advises against pushing EMAID tokens, and a 2.2.1 CPO cannot use "
        "them.",
        on_field=_refuse_unknown(models_221.TokenType, "token type"),
    ),
    Rule(
        "StartSession, ReserveNow, AuthorizationInfo",
        "token.type",
        "down",
        "maps",
        "EMAID or another type 2.2.1 does not know becomes OTHER in the embedded Token (the rest of the Token as "
        "for a pushed one).",
        "v221.md §7.2 (Token.type inside StartSession, ReserveNow and AuthorizationInfo; the digest's default, "
        "not refusing the command).",
        on_field=_embedded_token_down,
    ),
    Rule(
        "CdrToken",
        "type",
        "down",
        "maps",
        "EMAID or another type 2.2.1 does not know becomes OTHER (a round trip comes back as OTHER).",
        "v221.md §7.2 (CdrToken.type in Sessions and CDRs).",
        on_field=_map_unknown(models_221.TokenType, "OTHER"),
    ),
    # -- Price --
    Rule(
        "Price",
        "excl_vat, incl_vat",
        "up",
        "maps",
        f"before_taxes := excl_vat; with incl_vat, taxes := one TaxAmount named {VAT} of amount "
        "round4(incl_vat - excl_vat) (no percentage, no account number); without incl_vat, no taxes. Signs are "
        "kept.",
        f"v221.md §7.2 (Price); the tax name is the digest's default, {VAT}.",
        on_object=_price_up,
    ),
    Rule(
        "Price",
        "before_taxes, taxes",
        "down",
        "maps",
        "excl_vat := before_taxes; with taxes, incl_vat := round4(before_taxes + the sum of their amounts), so tax "
        "names, rates and account numbers are lost and several taxes become one amount; without taxes, no incl_vat "
        "(but see CDR).",
        "v221.md §7.2 (Price). A Session names no tariff objects, so its prices never take the N/A exception.",
        on_object=_price_down,
    ),
    Rule(
        "CDR",
        ", ".join(CDR_PRICES),
        "down",
        "derives",
        "When a price has no taxes and every Tariff the CDR embeds has tax_included N/A, incl_vat := excl_vat.",
        "v221.md §7.2 (Price): the tariffs governing a CDR are those it embeds; with none embedded, incl_vat is "
        "left out.",
        on_object=_untaxed_cdr_incl_vat,
    ),
    # -- Sessions and CDRs --
    Rule(
        "CdrDimension",
        "type",
        "down",
        "maps",
        "RESERVATION_EXPIRES (Bookings) becomes RESERVATION_TIME, which carries the 2.2.1 meaning.",
        "v221.md §7.2 (CdrDimensionType).",
        on_field=_map_value("RESERVATION_EXPIRES", "RESERVATION_TIME"),
    ),
    Rule(
        "CdrDimension",
        "type",
        "down",
        "refuses",
        "RESERVATION_OVERTIME (Bookings): the dimension cannot be carried (it is left out of its period).",
        "v221.md §7.2 (CdrDimensionType).",
        on_field=_refuse_value("RESERVATION_OVERTIME", "the dimension RESERVATION_OVERTIME does not exist in 2.2.1"),
    ),
    Rule(
        _DIMENSIONS,
        "dimensions",
        "down",
        "drops",
        "Dimensions that cannot be carried are left out; a period left with none cannot be carried.",
        "v221.md §7.2 (CdrDimensionType).",
        on_field=_carry_each("CdrDimension", "down", none_left="a charging period has only RESERVATION_OVERTIME"),
    ),
    Rule(
        _SESSION,
        "charging_periods",
        "down",
        "drops",
        "Periods that cannot be carried (no dimension left) are left out.",
        "v221.md §7.2 (CdrDimensionType).",
        on_field=_carry_each("ChargingPeriod", "down"),
    ),
    Rule(
        "CDR",
        "charging_periods",
        "down",
        "drops",
        "Periods that cannot be carried (no dimension left) are left out; a CDR left with no period cannot be "
        "carried (charging_periods needs at least one).",
        "v221.md §7.2 (never leave charging_periods empty); reading: refusing such a CDR is the only way not to "
        "invent a dimension.",
        on_field=_carry_each(
            "ChargingPeriod", "down", none_left="every charging period holds only RESERVATION_OVERTIME (Bookings)"
        ),
    ),
    Rule(
        "CDR",
        "tariffs",
        "down",
        "drops",
        "Embedded Tariffs that cannot be carried (see Tariff) are left out; tariff_id references are kept. A CDR is "
        "never refused for its tariffs.",
        "v221.md §7.3 (CDR row).",
        on_field=_carry_each("Tariff", "down"),
    ),
    Rule(
        "CDR",
        "booking_id",
        "down",
        "drops",
        "Left out: 2.2.1 has no Bookings.",
        "v221.md §7.3 (CDR row), §7.5.",
    ),
    Rule(
        "CdrLocation",
        "connector_standard",
        "down",
        "keeps",
        "MCS, SAE_J3400 or a custom standard is passed on unchanged and logged as a warning: a billing record is "
        "neither dropped nor falsified, so a strict 2.2.1 receiver may refuse it.",
        "v221.md §7.2 (CdrLocation.connector_standard; the digest's default).",
        on_field=_alert_connector_standard,
    ),
    # -- Tariffs --
    Rule(
        "Tariff",
        "min_price, max_price",
        "up",
        "maps",
        "Price to PriceLimit: before_taxes := excl_vat, after_taxes := incl_vat. Lossless.",
        "v221.md §7.2 (PriceLimit).",
        on_field=_price_limit_up,
    ),
    Rule(
        "Tariff",
        "tax_included",
        "up",
        "derives",
        "tax_included := NO: 2.2.1 prices exclude VAT by definition; price and vat are unchanged.",
        "v221.md §7.3 (Tariff row); the per-operator N/A override needs configuration, so NO always.",
        on_object=_tax_included_up,
    ),
    Rule(
        "Tariff",
        "min_price, max_price",
        "down",
        "maps",
        "PriceLimit to Price: excl_vat := before_taxes, incl_vat := after_taxes. Lossless.",
        "v221.md §7.2 (PriceLimit).",
        on_field=_price_limit_down,
    ),
    Rule(
        "Tariff",
        "preauthorize_amount",
        "down",
        "drops",
        "Left out: 2.2.1 has no Payments.",
        "v221.md §7.3 (Tariff row), §7.5.",
    ),
    Rule(
        "Tariff",
        "elements",
        "down",
        "drops",
        "Elements whose restrictions carry booking (Bookings) are left out whole, never only their restriction (a "
        "booking fee would then apply to every session); a Tariff left with none cannot be carried.",
        "v221.md §7.3 (Tariff row).",
        on_field=_elements_without_booking,
    ),
    Rule(
        "TariffRestrictions",
        "booking",
        "down",
        "drops",
        "Left out (only ever null here: an element with a booking restriction is left out whole, see Tariff.elements).",
        "v221.md §7.3 (Tariff row).",
    ),
    Rule(
        "Tariff",
        "tax_included",
        "down",
        "refuses",
        "YES with a PriceComponent that has no vat, or a value other than YES, NO and N/A: the Tariff cannot be "
        "carried (not pushed, left out of lists and of CDRs). Tax-inclusive prices passed on as exclusive would "
        "over-charge the driver.",
        "v221.md §7.3 (Tariff row).",
        on_object=_tax_included_carried,
    ),
    Rule(
        "Tariff",
        "elements.price_components.price",
        "down",
        "maps",
        "When tax_included is YES: every price := round4(price / (1 + vat / 100)), vat kept (at most 0.00005 off "
        "per unit).",
        "v221.md §7.3 (Tariff row): 2.2.1 prices exclude VAT.",
        on_object=_tax_inclusive_prices_down,
    ),
    Rule(
        "Tariff",
        "elements.price_components.vat",
        "down",
        "drops",
        "When tax_included is N/A: vat is left out (2.2.1 reads a missing vat as: no VAT applies).",
        "v221.md §7.3 (Tariff row).",
        on_object=_no_tax_drops_vat,
    ),
    Rule(
        "Tariff",
        "tax_included",
        "down",
        "drops",
        "Left out once the prices are converted (the rules above): 2.2.1 prices always exclude VAT.",
        "v221.md §7.3 (Tariff row).",
    ),
    # -- ClientInfo --
    Rule(
        "ClientInfo",
        "role",
        "up",
        "maps",
        "HUB (a hub connected to the hub) becomes OTHER: 2.3.0 has no HUB role.",
        "v221.md §5.3, §7.2 (Role).",
        on_field=_map_value("HUB", "OTHER"),
    ),
)
"""Every rule, in the order the engine applies those of one object (field rules in turn, then object rules)."""

# --- the engine ------------------------------------------------------------------------------------------------------

_MODELS: Final = {"up": (models_221, models_230), "down": (models_230, models_221)}
"""Per direction: the models of the source version, then those of the target version."""

TOP_LEVEL: Final = (
    "Location",
    "EVSE",
    "Connector",
    "LocationPatch",
    "EVSEPatch",
    "ConnectorPatch",
    "Session",
    "SessionPatch",
    "ChargingPreferences",
    "ChargingPreferencesResponse",
    "CDR",
    "Tariff",
    "Token",
    "TokenPatch",
    "AuthorizationInfo",
    "LocationReferences",
    "StartSession",
    "StopSession",
    "ReserveNow",
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
    "ClientInfo",
    "CancelReservation | ReserveNow | StartSession | StopSession | UnlockConnector",
    "ActiveChargingProfileResult | ChargingProfileResult | ClearProfileResult",
)
"""The request bodies and answers of the modules both versions have, as the operations tables name them (a union of
several names is one body whose type the URL decides; it is translated with the rules of each member)."""


@dataclass(frozen=True, eq=False)
class _Plan:
    """How one schema is translated in one direction: a step per field the target keeps, then object rules."""

    schema: str
    steps: dict[str, FieldAct] | None
    """None: not an object (an enumeration answer): copied as it is."""
    finish: tuple[ObjectAct, ...]

    def __call__(self, doc: Any) -> Any:
        if self.steps is None:
            return _copy(doc)
        out: Doc = {}
        for name, value in doc.items():
            step = self.steps.get(name)
            if step is None:
                continue
            if value is None:
                out[name] = None
                continue
            translated = step(value)
            if translated is not _OMIT:
                out[name] = translated
        for act in self.finish:
            out = act(doc, out)
        return out


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _nested(field_type: mi.Type) -> tuple[str | None, bool]:
    """The struct a field holds (or a list of), by name, and whether it is a list; (None, _) for anything else."""
    if isinstance(field_type, mi.UnionType):
        kinds = [t for t in field_type.types if not isinstance(t, mi.NoneType)]
        if len(kinds) != 1:
            return None, False
        field_type = kinds[0]
    is_list = isinstance(field_type, mi.ListType)
    if is_list:
        field_type = field_type.item_type  # type: ignore[attr-defined]
    if isinstance(field_type, mi.StructType):
        return field_type.cls.__name__, is_list
    return None, is_list


def _fields(models: Any, schema: str) -> dict[str, mi.Type] | None:
    cls = getattr(models, schema, None)
    if cls is None or not (isinstance(cls, type) and issubclass(cls, models_230.OcpiStruct)):
        return None
    info = mi.type_info(cls)
    assert isinstance(info, mi.StructType)
    return {f.encode_name: f.type for f in info.fields}


def _chain(acts: list[FieldAct]) -> FieldAct:
    if len(acts) == 1:
        return acts[0]

    def act(value: Any) -> Any:
        for one in acts:
            value = one(value)
            if value is _OMIT:
                return _OMIT
        return value

    return act


def _rules_of(schema: str, direction: Direction) -> list[Rule]:
    return [r for r in RULES if r.direction == direction and schema in r.schemas]


@functools.cache
def _step_into(schema: str, direction: Direction, is_list: bool) -> FieldAct:
    """The step for a field holding one ``schema`` object (or a list of them): its plan. Cached, so that the members
    of a union share the step of a field they share."""
    plan = _plan(schema, direction)
    if not is_list:
        return plan

    def each(values: list[Any]) -> list[Any]:
        return [plan(v) for v in values]

    return each


@functools.cache
def _plan(schema: str, direction: Direction) -> _Plan:
    """Built once per schema and direction, with the plans of every object it holds (all of them at a worker's start,
    :func:`prepare`, so a rule that cannot apply fails then, not on the first object that meets it)."""
    if " | " in schema:
        return _union(schema, direction)
    source_models, target_models = _MODELS[direction]
    if getattr(source_models, schema, None) is None or getattr(target_models, schema, None) is None:
        raise ValueError(f"{schema} exists in only one of OCPI 2.2.1 and 2.3.0")
    source, target = _fields(source_models, schema), _fields(target_models, schema)
    if source is None or target is None:
        return _Plan(schema, None, ())
    rules = _rules_of(schema, direction)
    acts: dict[str, list[FieldAct]] = {}
    for rule in rules:
        if rule.on_field is not None:
            for name in rule.fields:  # a rule on a dotted path (token.type) acts on the field holding it
                acts.setdefault(name.split(".")[0], []).append(rule.on_field)
    if unknown := sorted(set(acts) - (set(source) & set(target))):
        raise ValueError(f"rules act on {schema} fields that are not in both versions: {unknown}")
    steps: dict[str, FieldAct] = {}
    for name, field_type in source.items():
        nested, is_list = _nested(field_type)
        held = _step_into(nested, direction, is_list) if nested and hasattr(target_models, nested) else None
        if name not in target:
            continue
        if name in acts:
            steps[name] = _chain(acts[name])
        elif held is not None:
            steps[name] = held
        else:
            steps[name] = _copy
    finish = [rule.on_object for rule in rules if rule.on_object is not None]
    return _Plan(schema, steps, tuple(finish))


def _union(schema: str, direction: Direction) -> _Plan:
    steps: dict[str, FieldAct] = {}
    finish: list[ObjectAct] = []
    for member in schema.split(" | "):
        plan = _plan(member, direction)
        assert plan.steps is not None, schema
        for name, step in plan.steps.items():
            if steps.setdefault(name, step) is not step:
                raise ValueError(f"{schema}: the members translate {name} differently")
        finish.extend(a for a in plan.finish if a not in finish)
    return _Plan(schema, steps, tuple(finish))


def _label(schema: str, doc: Any) -> str:
    """The object as a refusal names it: ``Token DE/EMS/123``, or the schema alone when it has no id."""
    if isinstance(doc, dict) and (doc.get("id") or doc.get("uid")):
        parts = [str(doc[k]) for k in ("country_code", "party_id", "id", "uid") if doc.get(k)]
        return f"{schema} {'/'.join(parts)}"
    return schema


def _translate(schema: str, doc: Any, direction: Direction) -> Any:
    if schema not in TRANSLATED:
        raise ValueError(f"no translation for schema {schema!r}")
    plan = _plan(schema, direction)
    items = doc if isinstance(doc, list) else [doc]
    out = []
    for item in items:
        try:
            out.append(plan(item))
        except Untranslatable as refused:
            raise Untranslatable(f"{_label(schema, item)}: {refused.reason}") from None
    return out if isinstance(doc, list) else out[0]


def up(schema: str, doc: Any) -> Any:
    """A 2.2.1 wire document (a dict/list as decoded from JSON, already valid 2.2.1) of the named schema, as 2.3.0."""
    return _translate(schema, doc, "up")


def down(schema: str, doc: Any) -> Any:
    """A 2.3.0 wire document of the named schema as 2.2.1; raises Untranslatable."""
    return _translate(schema, doc, "down")


def down_items(schema: str, items: list[Any]) -> tuple[list[Any], list[str]]:
    """A list (a page) translated down: the items that translate, and the reasons of those left out."""
    kept: list[Any] = []
    reasons: list[str] = []
    for item in items:
        try:
            kept.append(down(schema, item))
        except Untranslatable as refused:
            reasons.append(refused.reason)
    return kept, reasons


TRANSLATED: frozenset[str] = frozenset(TOP_LEVEL)
"""Every schema name :func:`up` and :func:`down` accept."""


def prepare() -> None:
    """Build every plan now, with the plans of every object each holds: a rule that cannot apply raises here. The
    hub's workers call this as they start, so such a rule stops the hub before it serves and no request pays for a
    plan; the commands of ``ocpi-hub`` that only open the store do not (building them all took each command, and each
    hub process, a sixth of a second of CPU)."""
    for schema in TRANSLATED:
        _plan(schema, "up")
        _plan(schema, "down")
    for rule in RULES:
        for schema in rule.schemas:
            if schema != "*":
                _plan(schema, rule.direction)
