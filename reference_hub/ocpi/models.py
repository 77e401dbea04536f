"""OCPI 2.3.0 wire models, generated from openapi.yaml by tools/gen_models.py. Do not edit by hand.

Optional fields default to ``None`` and are omitted on output; fields absent from a PATCH stay ``UNSET``.
OpenEnum fields are plain ``str`` (unknown values are legal); the ``StrEnum`` of the same name lists the known values.
"""

# ruff: noqa: E501
from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import msgspec
from msgspec import UNSET, Meta, UnsetType

from reference_hub.ocpi.datetime import DateTime


class OcpiStruct(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Base of every OCPI object.

    Unknown fields are skipped, never rejected: OCPI 2.3.0 forbids rejecting payloads for undocumented fields.
    ``omit_defaults`` leaves unset optional fields out of the JSON we send.
    """


Url = Annotated[str, Meta(max_length=255)]
"""An OCPI URL: at most 255 characters."""

# --- types -----------------------------------------------------------------------------------------------


class DisplayText(OcpiStruct, kw_only=True):
    """A text for end users in one language."""

    language: Annotated[str, Meta(max_length=2)]
    """ISO 639-1 language code."""
    text: Annotated[str, Meta(max_length=512)]
    """The text itself, plain (no markup or HTML)."""


class Price(OcpiStruct, kw_only=True):
    """An amount of money before taxes, with the taxes that apply (2.3.0 shape)."""

    before_taxes: float
    """Amount excluding taxes."""
    taxes: list[TaxAmount] | None = None
    """The taxes relevant to the receiver."""


class TaxAmount(OcpiStruct, kw_only=True):
    """One tax on a price (new in 2.3.0)."""

    name: str
    """Tax name, e.g. VAT."""
    account_number: str | None = None
    """Tax account number of the business remitting it."""
    percentage: float | None = None
    """Tax rate in percent."""
    amount: float
    """Amount of this tax."""


class Role(StrEnum):
    """Role of a party. Closed; HUB no longer exists in 2.3.0."""

    CPO = 'CPO'
    EMSP = 'EMSP'
    NAP = 'NAP'
    NSP = 'NSP'
    OTHER = 'OTHER'
    SCSP = 'SCSP'

# --- locations -------------------------------------------------------------------------------------------


class BusinessDetails(OcpiStruct, kw_only=True):
    """Name, website and logo of a business."""

    name: Annotated[str, Meta(max_length=100)]
    """Name of the business."""
    website: Url | None = None
    """Its website."""
    logo: Image | None = None
    """Its logo."""


class Image(OcpiStruct, kw_only=True):
    """A reference to an image hosted outside OCPI."""

    url: Url
    thumbnail: Url | None = None
    category: str
    type: Annotated[str, Meta(max_length=4)]
    """Image type such as gif, jpeg, png, svg."""
    width: Annotated[int, Meta(ge=0, le=99999)] | None = None
    height: Annotated[int, Meta(ge=0, le=99999)] | None = None


class ImageCategory(StrEnum):
    """What an image shows (open enumeration). Open enumeration: fields of this type are `str`; these are the known values."""

    CHARGER = 'CHARGER'
    ENTRANCE = 'ENTRANCE'
    LOCATION = 'LOCATION'
    NETWORK = 'NETWORK'
    OPERATOR = 'OPERATOR'
    OTHER = 'OTHER'
    OWNER = 'OWNER'


class Location(OcpiStruct, kw_only=True):
    """A charging location (site) operated by a CPO, with its EVSEs and connectors."""

    country_code: Annotated[str, Meta(max_length=2)]
    """ISO 3166-1 alpha-2 country code of the CPO owning this Location."""
    party_id: Annotated[str, Meta(max_length=3)]
    """Party ID of the CPO owning this Location."""
    id: Annotated[str, Meta(max_length=36)]
    """Location identifier, unique within the CPO platform; never changes."""
    publish: bool
    """Whether the Location may be shown in public apps and websites."""
    publish_allowed_to: list[PublishTokenType] | None = None
    """Token holders allowed to see this Location although it is not published. Only usable when publish is false."""
    name: Annotated[str, Meta(max_length=255)] | None = None
    """Display name of the Location."""
    address: Annotated[str, Meta(max_length=45)]
    """Street or block name plus house number. (Max 45 in tag v2.3.0; edition 2 raises it to 255.)"""
    city: Annotated[str, Meta(max_length=45)]
    """City or town."""
    postal_code: Annotated[str, Meta(max_length=10)] | None = None
    """Postal code; only left out when the place has none."""
    state: Annotated[str, Meta(max_length=20)] | None = None
    """State or province, where relevant. (Max 20 in tag v2.3.0; edition 2 raises it to 45.)"""
    country: Annotated[str, Meta(max_length=3, pattern='^[A-Z]{3}$')]
    """ISO 3166-1 alpha-3 country code."""
    coordinates: GeoLocation
    """Geographic position of the Location."""
    related_locations: list[AdditionalGeoLocation] | None = None
    """Nearby points of interest related to this Location."""
    parking_type: str | None = None
    """General kind of parking at this Location."""
    evses: list[EVSE] | None = None
    """EVSEs belonging to this Location."""
    parking_places: list[Parking] | None = None
    """Parking spaces that can be used while charging here."""
    directions: list[DisplayText] | None = None
    """Instructions on how to reach the Location."""
    operator: BusinessDetails | None = None
    """Operator details; when absent, the credentials info of country_code/party_id applies."""
    suboperator: BusinessDetails | None = None
    """Sub-operator details, if any."""
    owner: BusinessDetails | None = None
    """Owner details, if any."""
    facilities: list[str] | None = None
    """Facilities this Location is part of or close to."""
    time_zone: Annotated[str, Meta(max_length=255)]
    """IANA time zone name of the Location, e.g. Europe/Oslo."""
    opening_times: Hours | None = None
    """Times during which the EVSEs can be accessed."""
    charging_when_closed: bool | None = None
    """Whether a running charge continues outside opening hours. Defaults to true when absent."""
    images: list[Image] | None = None
    """Pictures and logos related to the Location."""
    energy_mix: EnergyMix | None = None
    """Details on the energy supplied at this Location."""
    help_phone: Annotated[str, Meta(max_length=25)] | None = None
    """Phone number where drivers can get assistance."""
    last_updated: DateTime
    """Time of the last change to the Location or any of its children."""


class EVSE(OcpiStruct, kw_only=True):
    """An Electric Vehicle Supply Equipment: one point that charges one vehicle at a time, with one or more connectors."""

    uid: Annotated[str, Meta(max_length=36)]
    """Technical EVSE identifier, unique within the CPO platform; never changes."""
    evse_id: Annotated[str, Meta(max_length=48)] | None = None
    """Human readable EVSE ID in \"eMI3\"/IDACS format; may be dropped once status is REMOVED."""
    status: Status
    """Current status of the EVSE."""
    status_schedule: list[StatusSchedule] | None = None
    """Announced future status changes."""
    capabilities: list[str] | None = None
    """Functions the EVSE supports."""
    connectors: Annotated[list[Connector], Meta(min_length=1)]
    """Connectors of this EVSE (at least one)."""
    floor_level: Annotated[str, Meta(max_length=4)] | None = None
    """Floor level, using the local numbering."""
    coordinates: GeoLocation | None = None
    """Geographic position of this EVSE."""
    physical_reference: Annotated[str, Meta(max_length=16)] | None = None
    """Number or string shown on the EVSE for easy identification."""
    directions: list[DisplayText] | None = None
    """Instructions on finding the EVSE from the Location position."""
    parking_restrictions: list[str] | None = None
    """Restrictions on who may park/charge here, apart from vehicle type."""
    parking: list[EVSEParking] | None = None
    """References to the Location parking_places usable with this EVSE."""
    images: list[Image] | None = None
    """Pictures of the EVSE."""
    accepted_service_providers: list[Annotated[str, Meta(max_length=50)]] | None = None
    """Names of eMSPs whose contracts are accepted at this EVSE (each max 50 chars)."""
    last_updated: DateTime
    """Time of the last change to the EVSE or any of its connectors."""


class Connector(OcpiStruct, kw_only=True):
    """A socket or attached cable of an EVSE."""

    id: Annotated[str, Meta(max_length=36)]
    """Connector identifier, unique within its EVSE."""
    standard: str
    """Plug/socket standard of the connector."""
    format: ConnectorFormat
    """Whether it is a socket or an attached cable."""
    power_type: PowerType
    """Current type and phases delivered."""
    max_voltage: int
    """Maximum voltage in V (line to neutral for 3-phase AC)."""
    max_amperage: int
    """Maximum current in A."""
    max_electric_power: int | None = None
    """Maximum power in W, when lower than voltage times amperage suggests."""
    tariff_ids: list[Annotated[str, Meta(max_length=36)]] | None = None
    """IDs of the currently valid Tariffs; at most one per Tariff type active at any time (each max 36 chars)."""
    terms_and_conditions: Url | None = None
    """Link to the operator terms and conditions."""
    capabilities: list[str] | None = None
    """Capabilities of this connector, such as ISO 15118 Plug & Charge."""
    last_updated: DateTime
    """Time of the last change to the Connector."""


class Parking(OcpiStruct, kw_only=True):
    """A parking space that can be used while charging at a Location."""

    id: Annotated[str, Meta(max_length=36)]
    """Identifier, unique among the Parking objects of the same Location."""
    physical_reference: Annotated[str, Meta(max_length=12)] | None = None
    """Identifier of the space as visible on site."""
    vehicle_types: Annotated[list[str], Meta(min_length=1)]
    """Vehicle types the space is designed for."""
    max_vehicle_weight: float | None = None
    """Maximum vehicle weight in kg."""
    max_vehicle_height: float | None = None
    """Maximum vehicle height in cm."""
    max_vehicle_length: float | None = None
    """Maximum vehicle length in cm."""
    max_vehicle_width: float | None = None
    """Maximum vehicle width in cm."""
    parking_space_length: float | None = None
    """Length of the parking space in cm."""
    parking_space_width: float | None = None
    """Width of the parking space in cm."""
    dangerous_goods_allowed: bool | None = None
    """Whether vehicles carrying dangerous goods may use the space."""
    direction: ParkingDirection | None = None
    """Orientation of the space relative to the road."""
    drive_through: bool | None = None
    """Whether all listed vehicle types can drive in, charge and drive out without reversing."""
    restricted_to_type: bool
    """Whether vehicle types not listed are forbidden to park here."""
    reservation_required: bool
    """Whether parking here requires a reservation."""
    time_limit: float | None = None
    """Maximum parking duration in minutes."""
    roofed: bool | None = None
    """Whether the space is covered by a roof."""
    images: list[Image] | None = None
    """Pictures of the space; at least one recommended when DISABLED is among vehicle_types."""
    lighting: bool | None = None
    """Whether the space is artificially lit."""
    refrigeration_outlet: bool | None = None
    """Whether a power outlet for refrigerated trucks is available."""
    standards: list[Annotated[str, Meta(max_length=36)]] | None = None
    """Standards the space complies with, e.g. PAS 1899 (each max 36 chars)."""
    apds_reference: str | None = None
    """Reference to an Alliance for Parking Data Standards (APDS) element. The spec gives no maximum length."""


class EVSEParking(OcpiStruct, kw_only=True):
    """Link from an EVSE to one of the parking spaces of its Location."""

    parking_id: Annotated[str, Meta(max_length=36)]
    """The id of a Parking object in the parking_places of the same Location."""
    evse_position: EVSEPosition | None = None
    """Where the EVSE stands relative to the parking space."""


class AdditionalGeoLocation(OcpiStruct, kw_only=True):
    """A related point (e.g. entrance) with optional name, in WGS 84 decimal degrees."""

    latitude: Annotated[str, Meta(max_length=10, pattern='^-?[0-9]{1,2}\\.[0-9]{5,7}$')]
    """Latitude in decimal degrees, as a string."""
    longitude: Annotated[str, Meta(max_length=11, pattern='^-?[0-9]{1,3}\\.[0-9]{5,7}$')]
    """Longitude in decimal degrees, as a string."""
    name: DisplayText | None = None
    """Name of the point, for display."""


class GeoLocation(OcpiStruct, kw_only=True):
    """A WGS 84 position given as decimal-degree strings."""

    latitude: Annotated[str, Meta(max_length=10, pattern='^-?[0-9]{1,2}\\.[0-9]{5,7}$')]
    """Latitude in decimal degrees, as a string."""
    longitude: Annotated[str, Meta(max_length=11, pattern='^-?[0-9]{1,3}\\.[0-9]{5,7}$')]
    """Longitude in decimal degrees, as a string."""


class EnergyMix(OcpiStruct, kw_only=True):
    """Information about the energy supplied."""

    is_green_energy: bool
    """True when the supplied energy is entirely from renewable sources."""
    energy_sources: list[EnergySource] | None = None
    """Share of each energy source in the mix."""
    environ_impact: list[EnvironmentalImpact] | None = None
    """Environmental impact per kWh."""
    supplier_name: Annotated[str, Meta(max_length=64)] | None = None
    """Name of the energy supplier."""
    energy_product_name: Annotated[str, Meta(max_length=64)] | None = None
    """Name of the supplier product or tariff."""


class EnergySource(OcpiStruct, kw_only=True):
    """One energy source and its share in an energy mix."""

    source: EnergySourceCategory
    """Kind of energy source."""
    percentage: float
    """Share of this source in the mix, 0 to 100."""


class EnvironmentalImpact(OcpiStruct, kw_only=True):
    """An amount of one kind of environmental impact per kWh."""

    category: str
    """Kind of environmental impact."""
    amount: float
    """Amount in g/kWh."""


class ExceptionalPeriod(OcpiStruct, kw_only=True):
    """A period (UTC) of exceptional opening or closing."""

    period_begin: DateTime
    """Start of the period (UTC)."""
    period_end: DateTime
    """End of the period (UTC)."""


class Hours(OcpiStruct, kw_only=True):
    """Opening times of a Location."""

    twentyfourseven: bool
    """True when always open (except for exceptional closings)."""
    regular_hours: list[RegularHours] | None = None
    """Weekly recurring opening hours; only when twentyfourseven is false, and then at least one entry."""
    exceptional_openings: list[ExceptionalPeriod] | None = None
    """Additional periods when the Location is open; may overlap regular hours."""
    exceptional_closings: list[ExceptionalPeriod] | None = None
    """Periods when the Location is closed; these take precedence over regular hours and exceptional openings."""


class RegularHours(OcpiStruct, kw_only=True):
    """Opening hours on one day of the week, in local time."""

    weekday: Annotated[int, Meta(ge=0, le=9)]
    """Day of the week: 1 is Monday through 7 is Sunday."""
    period_begin: Annotated[str, Meta(max_length=5, pattern='^([0-1][0-9]|2[0-3]):[0-5][0-9]$')]
    """Local opening time, HH:MM (24h)."""
    period_end: Annotated[str, Meta(max_length=5, pattern='^([0-1][0-9]|2[0-3]):[0-5][0-9]$')]
    """Local closing time, HH:MM (24h); later than period_begin."""


class PublishTokenType(OcpiStruct, kw_only=True):
    """Describes a token (or token group) whose holder may see an unpublished Location."""

    uid: Annotated[str, Meta(max_length=36)] | None = None
    """Token uid."""
    type: str | None = None
    """Token type; required when uid is set."""
    visual_number: Annotated[str, Meta(max_length=64)] | None = None
    """Number printed on the token."""
    issuer: Annotated[str, Meta(max_length=64)] | None = None
    """Company that issued the token; required when visual_number is set."""
    group_id: Annotated[str, Meta(max_length=36)] | None = None
    """Token group identifier."""


class StatusSchedule(OcpiStruct, kw_only=True):
    """A planned status of an EVSE for a period."""

    period_begin: DateTime
    """Start of the scheduled period."""
    period_end: DateTime | None = None
    """End of the scheduled period, if known."""
    status: Status
    """EVSE status during the period."""


class Status(StrEnum):
    """Status of an EVSE."""

    AVAILABLE = 'AVAILABLE'
    BLOCKED = 'BLOCKED'
    CHARGING = 'CHARGING'
    INOPERATIVE = 'INOPERATIVE'
    OUTOFORDER = 'OUTOFORDER'
    PLANNED = 'PLANNED'
    REMOVED = 'REMOVED'
    RESERVED = 'RESERVED'
    UNKNOWN = 'UNKNOWN'


class Capability(StrEnum):
    """A function an EVSE supports (OpenEnum). Open enumeration: fields of this type are `str`; these are the known values."""

    CHARGING_PROFILE_CAPABLE = 'CHARGING_PROFILE_CAPABLE'
    CHARGING_PREFERENCES_CAPABLE = 'CHARGING_PREFERENCES_CAPABLE'
    CHIP_CARD_SUPPORT = 'CHIP_CARD_SUPPORT'
    CONTACTLESS_CARD_SUPPORT = 'CONTACTLESS_CARD_SUPPORT'
    CREDIT_CARD_PAYABLE = 'CREDIT_CARD_PAYABLE'
    DEBIT_CARD_PAYABLE = 'DEBIT_CARD_PAYABLE'
    PED_TERMINAL = 'PED_TERMINAL'
    REMOTE_START_STOP_CAPABLE = 'REMOTE_START_STOP_CAPABLE'
    RESERVABLE = 'RESERVABLE'
    RFID_READER = 'RFID_READER'
    START_SESSION_CONNECTOR_REQUIRED = 'START_SESSION_CONNECTOR_REQUIRED'
    TOKEN_GROUP_CAPABLE = 'TOKEN_GROUP_CAPABLE'
    UNLOCK_CAPABLE = 'UNLOCK_CAPABLE'


class ConnectorCapability(StrEnum):
    """A capability of a connector (OpenEnum). Open enumeration: fields of this type are `str`; these are the known values."""

    ISO_15118_2_PLUG_AND_CHARGE = 'ISO_15118_2_PLUG_AND_CHARGE'
    ISO_15118_20_PLUG_AND_CHARGE = 'ISO_15118_20_PLUG_AND_CHARGE'


class ConnectorFormat(StrEnum):
    """Whether the connector is a socket or a fixed cable."""

    SOCKET = 'SOCKET'
    CABLE = 'CABLE'


class ConnectorType(StrEnum):
    """Plug/socket standard of a connector (OpenEnum; note lower-case parts in the IEC 60309 values). Open enumeration: fields of this type are `str`; these are the known values."""

    CHADEMO = 'CHADEMO'
    CHAOJI = 'CHAOJI'
    DOMESTIC_A = 'DOMESTIC_A'
    DOMESTIC_B = 'DOMESTIC_B'
    DOMESTIC_C = 'DOMESTIC_C'
    DOMESTIC_D = 'DOMESTIC_D'
    DOMESTIC_E = 'DOMESTIC_E'
    DOMESTIC_F = 'DOMESTIC_F'
    DOMESTIC_G = 'DOMESTIC_G'
    DOMESTIC_H = 'DOMESTIC_H'
    DOMESTIC_I = 'DOMESTIC_I'
    DOMESTIC_J = 'DOMESTIC_J'
    DOMESTIC_K = 'DOMESTIC_K'
    DOMESTIC_L = 'DOMESTIC_L'
    DOMESTIC_M = 'DOMESTIC_M'
    DOMESTIC_N = 'DOMESTIC_N'
    DOMESTIC_O = 'DOMESTIC_O'
    GBT_AC = 'GBT_AC'
    GBT_DC = 'GBT_DC'
    IEC_60309_2_single_16 = 'IEC_60309_2_single_16'
    IEC_60309_2_three_16 = 'IEC_60309_2_three_16'
    IEC_60309_2_three_32 = 'IEC_60309_2_three_32'
    IEC_60309_2_three_64 = 'IEC_60309_2_three_64'
    IEC_62196_T1 = 'IEC_62196_T1'
    IEC_62196_T1_COMBO = 'IEC_62196_T1_COMBO'
    IEC_62196_T2 = 'IEC_62196_T2'
    IEC_62196_T2_COMBO = 'IEC_62196_T2_COMBO'
    IEC_62196_T3A = 'IEC_62196_T3A'
    IEC_62196_T3C = 'IEC_62196_T3C'
    MCS = 'MCS'
    NEMA_5_20 = 'NEMA_5_20'
    NEMA_6_30 = 'NEMA_6_30'
    NEMA_6_50 = 'NEMA_6_50'
    NEMA_10_30 = 'NEMA_10_30'
    NEMA_10_50 = 'NEMA_10_50'
    NEMA_14_30 = 'NEMA_14_30'
    NEMA_14_50 = 'NEMA_14_50'
    PANTOGRAPH_BOTTOM_UP = 'PANTOGRAPH_BOTTOM_UP'
    PANTOGRAPH_TOP_DOWN = 'PANTOGRAPH_TOP_DOWN'
    SAE_J3400 = 'SAE_J3400'
    TESLA_R = 'TESLA_R'
    TESLA_S = 'TESLA_S'


class EnergySourceCategory(StrEnum):
    """Category of an energy source."""

    NUCLEAR = 'NUCLEAR'
    GENERAL_FOSSIL = 'GENERAL_FOSSIL'
    COAL = 'COAL'
    GAS = 'GAS'
    GENERAL_GREEN = 'GENERAL_GREEN'
    SOLAR = 'SOLAR'
    WIND = 'WIND'
    WATER = 'WATER'


class EnvironmentalImpactCategory(StrEnum):
    """Category of environmental impact (OpenEnum). Open enumeration: fields of this type are `str`; these are the known values."""

    NUCLEAR_WASTE = 'NUCLEAR_WASTE'
    CARBON_DIOXIDE = 'CARBON_DIOXIDE'


class EVSEPosition(StrEnum):
    """Position of an EVSE relative to a parking space."""

    LEFT = 'LEFT'
    RIGHT = 'RIGHT'
    CENTER = 'CENTER'


class Facility(StrEnum):
    """A facility a Location belongs to or is near (OpenEnum). Open enumeration: fields of this type are `str`; these are the known values."""

    HOTEL = 'HOTEL'
    RESTAURANT = 'RESTAURANT'
    CAFE = 'CAFE'
    MALL = 'MALL'
    SUPERMARKET = 'SUPERMARKET'
    SPORT = 'SPORT'
    RECREATION_AREA = 'RECREATION_AREA'
    NATURE = 'NATURE'
    MUSEUM = 'MUSEUM'
    BIKE_SHARING = 'BIKE_SHARING'
    BUS_STOP = 'BUS_STOP'
    TAXI_STAND = 'TAXI_STAND'
    TRAM_STOP = 'TRAM_STOP'
    METRO_STATION = 'METRO_STATION'
    TRAIN_STATION = 'TRAIN_STATION'
    AIRPORT = 'AIRPORT'
    PARKING_LOT = 'PARKING_LOT'
    CARPOOL_PARKING = 'CARPOOL_PARKING'
    FUEL_STATION = 'FUEL_STATION'
    WIFI = 'WIFI'


class ParkingDirection(StrEnum):
    """Orientation of a parking space relative to the roadway."""

    PARALLEL = 'PARALLEL'
    PERPENDICULAR = 'PERPENDICULAR'
    ANGLE = 'ANGLE'


class ParkingRestriction(StrEnum):
    """Restriction on who may park at an EVSE (OpenEnum). Open enumeration: fields of this type are `str`; these are the known values."""

    CUSTOMERS = 'CUSTOMERS'
    DISABLED = 'DISABLED'
    EMPLOYEES = 'EMPLOYEES'
    EV_ONLY = 'EV_ONLY'
    MOTORCYCLES = 'MOTORCYCLES'
    PLUGGED = 'PLUGGED'
    TAXIS = 'TAXIS'
    TENANTS = 'TENANTS'


class ParkingType(StrEnum):
    """General type of parking at a Location (OpenEnum). Open enumeration: fields of this type are `str`; these are the known values."""

    ALONG_MOTORWAY = 'ALONG_MOTORWAY'
    PARKING_GARAGE = 'PARKING_GARAGE'
    PARKING_LOT = 'PARKING_LOT'
    ON_DRIVEWAY = 'ON_DRIVEWAY'
    ON_STREET = 'ON_STREET'
    UNDERGROUND_GARAGE = 'UNDERGROUND_GARAGE'


class PowerType(StrEnum):
    """Kind of current and number of phases."""

    AC_1_PHASE = 'AC_1_PHASE'
    AC_2_PHASE = 'AC_2_PHASE'
    AC_2_PHASE_SPLIT = 'AC_2_PHASE_SPLIT'
    AC_3_PHASE = 'AC_3_PHASE'
    DC = 'DC'


class VehicleType(StrEnum):
    """Vehicle type a parking space is designed for (OpenEnum). Open enumeration: fields of this type are `str`; these are the known values."""

    MOTORCYCLE = 'MOTORCYCLE'
    PERSONAL_VEHICLE = 'PERSONAL_VEHICLE'
    PERSONAL_VEHICLE_WITH_TRAILER = 'PERSONAL_VEHICLE_WITH_TRAILER'
    VAN = 'VAN'
    SEMI_TRACTOR = 'SEMI_TRACTOR'
    RIGID = 'RIGID'
    TRUCK_WITH_TRAILER = 'TRUCK_WITH_TRAILER'
    BUS = 'BUS'
    DISABLED = 'DISABLED'


class LocationPatch(OcpiStruct, kw_only=True):
    """Partial Location for PATCH: only changed fields, last_updated is mandatory."""

    country_code: Annotated[str, Meta(max_length=2)] | None | UnsetType = UNSET
    """ISO 3166-1 alpha-2 country code of the CPO owning this Location."""
    party_id: Annotated[str, Meta(max_length=3)] | None | UnsetType = UNSET
    """Party ID of the CPO owning this Location."""
    id: Annotated[str, Meta(max_length=36)] | None | UnsetType = UNSET
    """Location identifier, unique within the CPO platform; never changes."""
    publish: bool | None | UnsetType = UNSET
    """Whether the Location may be shown in public apps and websites."""
    publish_allowed_to: list[PublishTokenType] | None | UnsetType = UNSET
    """Token holders allowed to see this Location although it is not published. Only usable when publish is false."""
    name: Annotated[str, Meta(max_length=255)] | None | UnsetType = UNSET
    """Display name of the Location."""
    address: Annotated[str, Meta(max_length=45)] | None | UnsetType = UNSET
    """Street or block name plus house number. (Max 45 in tag v2.3.0; edition 2 raises it to 255.)"""
    city: Annotated[str, Meta(max_length=45)] | None | UnsetType = UNSET
    """City or town."""
    postal_code: Annotated[str, Meta(max_length=10)] | None | UnsetType = UNSET
    """Postal code; only left out when the place has none."""
    state: Annotated[str, Meta(max_length=20)] | None | UnsetType = UNSET
    """State or province, where relevant. (Max 20 in tag v2.3.0; edition 2 raises it to 45.)"""
    country: Annotated[str, Meta(max_length=3, pattern='^[A-Z]{3}$')] | None | UnsetType = UNSET
    """ISO 3166-1 alpha-3 country code."""
    coordinates: GeoLocation | None | UnsetType = UNSET
    """Geographic position of the Location."""
    related_locations: list[AdditionalGeoLocation] | None | UnsetType = UNSET
    """Nearby points of interest related to this Location."""
    parking_type: str | None | UnsetType = UNSET
    """General kind of parking at this Location."""
    evses: list[EVSE] | None | UnsetType = UNSET
    """EVSEs belonging to this Location."""
    parking_places: list[Parking] | None | UnsetType = UNSET
    """Parking spaces that can be used while charging here."""
    directions: list[DisplayText] | None | UnsetType = UNSET
    """Instructions on how to reach the Location."""
    operator: BusinessDetails | None | UnsetType = UNSET
    """Operator details; when absent, the credentials info of country_code/party_id applies."""
    suboperator: BusinessDetails | None | UnsetType = UNSET
    """Sub-operator details, if any."""
    owner: BusinessDetails | None | UnsetType = UNSET
    """Owner details, if any."""
    facilities: list[str] | None | UnsetType = UNSET
    """Facilities this Location is part of or close to."""
    time_zone: Annotated[str, Meta(max_length=255)] | None | UnsetType = UNSET
    """IANA time zone name of the Location, e.g. Europe/Oslo."""
    opening_times: Hours | None | UnsetType = UNSET
    """Times during which the EVSEs can be accessed."""
    charging_when_closed: bool | None | UnsetType = UNSET
    """Whether a running charge continues outside opening hours (the object default is true; a PATCH that omits it changes nothing)."""
    images: list[Image] | None | UnsetType = UNSET
    """Pictures and logos related to the Location."""
    energy_mix: EnergyMix | None | UnsetType = UNSET
    """Details on the energy supplied at this Location."""
    help_phone: Annotated[str, Meta(max_length=25)] | None | UnsetType = UNSET
    """Phone number where drivers can get assistance."""
    last_updated: DateTime
    """Time of the last change to the Location or any of its children."""


class EVSEPatch(OcpiStruct, kw_only=True):
    """Partial EVSE for PATCH: only changed fields, last_updated is mandatory."""

    uid: Annotated[str, Meta(max_length=36)] | None | UnsetType = UNSET
    """Technical EVSE identifier, unique within the CPO platform; never changes."""
    evse_id: Annotated[str, Meta(max_length=48)] | None | UnsetType = UNSET
    """Human readable EVSE ID in \"eMI3\"/IDACS format; may be dropped once status is REMOVED."""
    status: Status | None | UnsetType = UNSET
    """Current status of the EVSE."""
    status_schedule: list[StatusSchedule] | None | UnsetType = UNSET
    """Announced future status changes."""
    capabilities: list[str] | None | UnsetType = UNSET
    """Functions the EVSE supports."""
    connectors: Annotated[list[Connector], Meta(min_length=1)] | None | UnsetType = UNSET
    """Connectors of this EVSE (at least one)."""
    floor_level: Annotated[str, Meta(max_length=4)] | None | UnsetType = UNSET
    """Floor level, using the local numbering."""
    coordinates: GeoLocation | None | UnsetType = UNSET
    """Geographic position of this EVSE."""
    physical_reference: Annotated[str, Meta(max_length=16)] | None | UnsetType = UNSET
    """Number or string shown on the EVSE for easy identification."""
    directions: list[DisplayText] | None | UnsetType = UNSET
    """Instructions on finding the EVSE from the Location position."""
    parking_restrictions: list[str] | None | UnsetType = UNSET
    """Restrictions on who may park/charge here, apart from vehicle type."""
    parking: list[EVSEParking] | None | UnsetType = UNSET
    """References to the Location parking_places usable with this EVSE."""
    images: list[Image] | None | UnsetType = UNSET
    """Pictures of the EVSE."""
    accepted_service_providers: list[Annotated[str, Meta(max_length=50)]] | None | UnsetType = UNSET
    """Names of eMSPs whose contracts are accepted at this EVSE (each max 50 chars)."""
    last_updated: DateTime
    """Time of the last change to the EVSE or any of its connectors."""


class ConnectorPatch(OcpiStruct, kw_only=True):
    """Partial Connector for PATCH: only changed fields, last_updated is mandatory."""

    id: Annotated[str, Meta(max_length=36)] | None | UnsetType = UNSET
    """Connector identifier, unique within its EVSE."""
    standard: str | None | UnsetType = UNSET
    """Plug/socket standard of the connector."""
    format: ConnectorFormat | None | UnsetType = UNSET
    """Whether it is a socket or an attached cable."""
    power_type: PowerType | None | UnsetType = UNSET
    """Current type and phases delivered."""
    max_voltage: int | None | UnsetType = UNSET
    """Maximum voltage in V (line to neutral for 3-phase AC)."""
    max_amperage: int | None | UnsetType = UNSET
    """Maximum current in A."""
    max_electric_power: int | None | UnsetType = UNSET
    """Maximum power in W, when lower than voltage times amperage suggests."""
    tariff_ids: list[Annotated[str, Meta(max_length=36)]] | None | UnsetType = UNSET
    """IDs of the currently valid Tariffs; at most one per Tariff type active at any time (each max 36 chars)."""
    terms_and_conditions: Url | None | UnsetType = UNSET
    """Link to the operator terms and conditions."""
    capabilities: list[str] | None | UnsetType = UNSET
    """Capabilities of this connector, such as ISO 15118 Plug & Charge."""
    last_updated: DateTime
    """Time of the last change to the Connector."""

# --- versions --------------------------------------------------------------------------------------------


class VersionNumber(StrEnum):
    """An OCPI version (open enumeration). Open enumeration: fields of this type are `str`; these are the known values."""

    V2_0 = '2.0'
    V2_1 = '2.1'
    V2_1_1 = '2.1.1'
    V2_2 = '2.2'
    V2_2_1 = '2.2.1'
    V2_3_0 = '2.3.0'


class ModuleID(StrEnum):
    """A module identifier (open enumeration; add-on and custom modules exist). Bookings' module header spells its id Booking; bookings is the id used here, and readers should accept both. Open enumeration: fields of this type are `str`; these are the known values."""

    cdrs = 'cdrs'
    chargingprofiles = 'chargingprofiles'
    commands = 'commands'
    credentials = 'credentials'
    hubclientinfo = 'hubclientinfo'
    locations = 'locations'
    sessions = 'sessions'
    tariffs = 'tariffs'
    tokens = 'tokens'
    payments = 'payments'
    invoicereconciliation = 'invoicereconciliation'
    bookings = 'bookings'


class InterfaceRole(StrEnum):
    """Which side of a module an endpoint implements."""

    SENDER = 'SENDER'
    RECEIVER = 'RECEIVER'


class Version(OcpiStruct, kw_only=True):
    """One supported version and where its details are."""

    version: str
    url: Url


class Endpoint(OcpiStruct, kw_only=True):
    """One module interface and its URL."""

    identifier: str
    role: InterfaceRole
    url: Url


class VersionDetails(OcpiStruct, kw_only=True):
    """The endpoints offered in one version."""

    version: str
    endpoints: Annotated[list[Endpoint], Meta(min_length=1)]

# --- credentials -----------------------------------------------------------------------------------------


class CredentialsRole(OcpiStruct, kw_only=True):
    """One party served by a platform."""

    role: Role
    business_details: BusinessDetails
    party_id: Annotated[str, Meta(max_length=3)]
    """Party id, e.g. ABC."""
    country_code: Annotated[str, Meta(max_length=2)]
    """ISO 3166-1 alpha-2 country code."""


class Credentials(OcpiStruct, kw_only=True):
    """What one platform hands another so that it can call back."""

    token: Annotated[str, Meta(max_length=64, pattern='^[!-~]+$')]
    """The token the other party must present to the issuer; printable ASCII without spaces, never base64 here."""
    url: Url
    """The issuer's versions endpoint."""
    hub_party_id: Annotated[str, Meta(max_length=5)] | None = None
    """The hub party of this platform, country code and party id concatenated (e.g. NLHUB). Filled by platforms that route messages."""
    roles: Annotated[list[CredentialsRole], Meta(min_length=1)]
    """The parties this platform serves; a roaming hub lists the parties reachable through it."""

# --- hubclientinfo ---------------------------------------------------------------------------------------


class ClientInfo(OcpiStruct, kw_only=True):
    """Connection status of one party reachable through a hub."""

    party_id: Annotated[str, Meta(max_length=3)]
    country_code: Annotated[str, Meta(max_length=2)]
    role: Role
    status: ConnectionStatus
    last_updated: DateTime


class ConnectionStatus(StrEnum):
    """State of the connection between a hub and a party."""

    CONNECTED = 'CONNECTED'
    OFFLINE = 'OFFLINE'
    PLANNED = 'PLANNED'
    SUSPENDED = 'SUSPENDED'

# --- sessions --------------------------------------------------------------------------------------------


class Session(OcpiStruct, kw_only=True):
    """A charging session, from the CPO perspective, as reported to the eMSP."""

    country_code: Annotated[str, Meta(max_length=2)]
    """ISO 3166-1 alpha-2 country code of the CPO owning this Session."""
    party_id: Annotated[str, Meta(max_length=3)]
    """Party ID of the CPO owning this Session."""
    id: Annotated[str, Meta(max_length=36)]
    """Session identifier, unique within the CPO platform."""
    start_date_time: DateTime
    """When the session became ACTIVE; while PENDING, when it was created."""
    end_date_time: DateTime | None = None
    """When the session was completed."""
    kwh: float
    """Energy charged so far, in kWh."""
    cdr_token: CdrToken
    """Token used to start this session."""
    auth_method: AuthMethod
    """How the session was authorized; may change during the session."""
    authorization_reference: Annotated[str, Meta(max_length=36)] | None = None
    """Authorization reference supplied by the eMSP (the last one when several were given)."""
    location_id: Annotated[str, Meta(max_length=36)]
    """Id of the Location where the session takes place."""
    evse_uid: Annotated[str, Meta(max_length=36)]
    """uid of the EVSE used; \"#NA\" for a reservation without an assigned EVSE."""
    connector_id: Annotated[str, Meta(max_length=36)]
    """Id of the Connector used; \"#NA\" for a reservation without an assigned connector."""
    meter_id: Annotated[str, Meta(max_length=255)] | None = None
    """Identifier of the kWh meter."""
    currency: Annotated[str, Meta(max_length=3)]
    """ISO 4217 currency code of the prices."""
    charging_periods: list[ChargingPeriod] | None = None
    """Periods of the session used to calculate and check costs."""
    total_cost: Price | None = None
    """Total cost so far that the eMSP pays to the CPO; absent does not mean free."""
    status: SessionStatus
    """State of the session."""
    last_updated: DateTime
    """Time of the last change to the Session."""


class ChargingPreferences(OcpiStruct, kw_only=True):
    """Charging preferences a driver sets for an ongoing session (sent by the eMSP to the CPO)."""

    profile_type: ProfileType
    """Smart charging profile chosen; must be supported at the connector."""
    departure_time: DateTime | None = None
    """Estimated departure time."""
    energy_need: float | None = None
    """Energy requested, in kWh."""
    discharge_allowed: bool | None = None
    """Whether the EV may be discharged (V2G) as long as the preferences are still met. Defaults to false."""


class SessionStatus(StrEnum):
    """State of a Session."""

    ACTIVE = 'ACTIVE'
    COMPLETED = 'COMPLETED'
    INVALID = 'INVALID'
    PENDING = 'PENDING'
    RESERVATION = 'RESERVATION'


class ChargingPreferencesResponse(StrEnum):
    """Result of setting ChargingPreferences."""

    ACCEPTED = 'ACCEPTED'
    DEPARTURE_REQUIRED = 'DEPARTURE_REQUIRED'
    ENERGY_NEED_REQUIRED = 'ENERGY_NEED_REQUIRED'
    NOT_POSSIBLE = 'NOT_POSSIBLE'
    PROFILE_TYPE_NOT_SUPPORTED = 'PROFILE_TYPE_NOT_SUPPORTED'


class ProfileType(StrEnum):
    """Smart charging profile type chosen by the driver."""

    CHEAP = 'CHEAP'
    FAST = 'FAST'
    GREEN = 'GREEN'
    REGULAR = 'REGULAR'


class SessionPatch(OcpiStruct, kw_only=True):
    """Partial Session for PATCH: only changed fields, last_updated is mandatory; charging_periods given here are appended to the stored list."""

    country_code: Annotated[str, Meta(max_length=2)] | None | UnsetType = UNSET
    """ISO 3166-1 alpha-2 country code of the CPO owning this Session."""
    party_id: Annotated[str, Meta(max_length=3)] | None | UnsetType = UNSET
    """Party ID of the CPO owning this Session."""
    id: Annotated[str, Meta(max_length=36)] | None | UnsetType = UNSET
    """Session identifier, unique within the CPO platform."""
    start_date_time: DateTime | None | UnsetType = UNSET
    """When the session became ACTIVE; while PENDING, when it was created."""
    end_date_time: DateTime | None | UnsetType = UNSET
    """When the session was completed."""
    kwh: float | None | UnsetType = UNSET
    """Energy charged so far, in kWh."""
    cdr_token: CdrToken | None | UnsetType = UNSET
    """Token used to start this session."""
    auth_method: AuthMethod | None | UnsetType = UNSET
    """How the session was authorized; may change during the session."""
    authorization_reference: Annotated[str, Meta(max_length=36)] | None | UnsetType = UNSET
    """Authorization reference supplied by the eMSP (the last one when several were given)."""
    location_id: Annotated[str, Meta(max_length=36)] | None | UnsetType = UNSET
    """Id of the Location where the session takes place."""
    evse_uid: Annotated[str, Meta(max_length=36)] | None | UnsetType = UNSET
    """uid of the EVSE used; \"#NA\" for a reservation without an assigned EVSE."""
    connector_id: Annotated[str, Meta(max_length=36)] | None | UnsetType = UNSET
    """Id of the Connector used; \"#NA\" for a reservation without an assigned connector."""
    meter_id: Annotated[str, Meta(max_length=255)] | None | UnsetType = UNSET
    """Identifier of the kWh meter."""
    currency: Annotated[str, Meta(max_length=3)] | None | UnsetType = UNSET
    """ISO 4217 currency code of the prices."""
    charging_periods: list[ChargingPeriod] | None | UnsetType = UNSET
    """Periods of the session used to calculate and check costs."""
    total_cost: Price | None | UnsetType = UNSET
    """Total cost so far that the eMSP pays to the CPO; absent does not mean free."""
    status: SessionStatus | None | UnsetType = UNSET
    """State of the session."""
    last_updated: DateTime
    """Time of the last change to the Session."""

# --- cdrs ------------------------------------------------------------------------------------------------


class CDR(OcpiStruct, kw_only=True):
    """Charge Detail Record: the final, billing-relevant and immutable record of a charging session."""

    country_code: Annotated[str, Meta(max_length=2)]
    """ISO 3166-1 alpha-2 country code of the CPO owning this CDR."""
    party_id: Annotated[str, Meta(max_length=3)]
    """Party ID of the CPO owning this CDR."""
    id: Annotated[str, Meta(max_length=39)]
    """CDR identifier, unique per country_code/party_id. Max 39 only to leave room for a credit suffix; regular CDR ids are at most 36."""
    start_date_time: DateTime
    """Start of the session (or of the reservation)."""
    end_date_time: DateTime
    """End of the session."""
    session_id: Annotated[str, Meta(max_length=36)] | None = None
    """Id of the related Session, when one exists."""
    cdr_token: CdrToken
    """Token used for the session."""
    auth_method: AuthMethod
    """Last authorization method used during the session."""
    authorization_reference: Annotated[str, Meta(max_length=36)] | None = None
    """Authorization reference supplied by the eMSP (the last one when several were given)."""
    cdr_location: CdrLocation
    """Snapshot of the Location, EVSE and Connector used."""
    meter_id: Annotated[str, Meta(max_length=255)] | None = None
    """Identifier of the kWh meter."""
    currency: Annotated[str, Meta(max_length=3)]
    """ISO 4217 currency code of the costs."""
    tariffs: list[Tariff] | None = None
    """Full Tariff objects relevant to this CDR."""
    charging_periods: Annotated[list[ChargingPeriod], Meta(min_length=1)]
    """Periods that make up the session. Session-only dimension types must not appear here."""
    signed_data: SignedData | None = None
    """Signed meter data for verification (e.g. calibration law)."""
    total_cost: Price
    """Total cost of the charging session."""
    total_fixed_cost: Price | None = None
    """Total of fixed costs, excluding fixed parking and reservation components."""
    total_energy: float
    """Total energy in kWh."""
    total_energy_cost: Price | None = None
    """Cost of the energy."""
    total_time: float
    """Total duration in hours, charging and not charging."""
    total_time_cost: Price | None = None
    """Cost related to the charging time."""
    total_parking_time: float | None = None
    """Hours spent not charging."""
    total_parking_cost: Price | None = None
    """Parking cost, including fixed parking components."""
    total_reservation_cost: Price | None = None
    """Reservation cost, including fixed reservation components."""
    remark: Annotated[str, Meta(max_length=255)] | None = None
    """Free-text remark, e.g. the reason the session stopped."""
    invoice_reference_id: Annotated[str, Meta(max_length=39)] | None = None
    """Reference to an invoice that will include this CDR."""
    credit: bool | None = None
    """True when this is a Credit CDR; credit_reference_id must then be set."""
    credit_reference_id: Annotated[str, Meta(max_length=39)] | None = None
    """Id of the CDR that this Credit CDR credits."""
    home_charging_compensation: bool | None = None
    """True when the session took place at the driver home charger and energy costs are to be compensated."""
    booking_id: Annotated[str, Meta(max_length=36)] | None = None
    """Booking.id of the Booking this CDR belongs to; absent when the session was not booked."""
    last_updated: DateTime
    """Time of the last change (in practice creation) of the CDR."""


class CdrToken(OcpiStruct, kw_only=True):
    """The token used in a Session or CDR, as known to the CPO."""

    country_code: Annotated[str, Meta(max_length=2)]
    """ISO 3166-1 alpha-2 country code of the eMSP owning the token."""
    party_id: Annotated[str, Meta(max_length=3)]
    """Party ID of the eMSP owning the token."""
    uid: Annotated[str, Meta(max_length=36)]
    """Token uid (e.g. RFID hidden id, or an id generated by the eMSP for app users)."""
    type: str
    """Token type."""
    contract_id: Annotated[str, Meta(max_length=36)]
    """Contract identifier (eMA ID recommended)."""


class CdrLocation(OcpiStruct, kw_only=True):
    """Snapshot of the location, EVSE and connector data at the start of the session."""

    id: Annotated[str, Meta(max_length=36)]
    """Id of the Location."""
    name: Annotated[str, Meta(max_length=255)] | None = None
    """Display name of the Location."""
    address: Annotated[str, Meta(max_length=45)]
    """Street or block name plus house number."""
    city: Annotated[str, Meta(max_length=45)]
    """City or town."""
    postal_code: Annotated[str, Meta(max_length=10)] | None = None
    """Postal code."""
    state: Annotated[str, Meta(max_length=20)] | None = None
    """State or province."""
    country: Annotated[str, Meta(max_length=3, pattern='^[A-Z]{3}$')]
    """ISO 3166-1 alpha-3 country code."""
    coordinates: GeoLocation
    """Geographic position of the Location."""
    evse_uid: Annotated[str, Meta(max_length=36)]
    """uid of the EVSE used; \"#NA\" for a reservation-only CDR."""
    evse_id: Annotated[str, Meta(max_length=48)]
    """EVSE ID of the EVSE used; \"#NA\" for a reservation-only CDR."""
    connector_id: Annotated[str, Meta(max_length=36)]
    """Id of the Connector used; \"#NA\" for a reservation-only CDR."""
    connector_standard: str
    """Standard of the connector used (any value for a reservation-only CDR)."""
    connector_format: ConnectorFormat
    """Format of the connector used (any value for a reservation-only CDR)."""
    connector_power_type: PowerType
    """Power type of the connector used (any value for a reservation-only CDR)."""


class ChargingPeriod(OcpiStruct, kw_only=True):
    """A period of a session with constant tariff conditions; lasts until the next period starts (the last one until the session ends)."""

    start_date_time: DateTime
    """Start of this period."""
    dimensions: Annotated[list[CdrDimension], Meta(min_length=1)]
    """Measured values for this period."""
    tariff_id: Annotated[str, Meta(max_length=36)] | None = None
    """Id of the Tariff that applies to this period; absent when none applies."""


class CdrDimension(OcpiStruct, kw_only=True):
    """One measured value within a ChargingPeriod."""

    type: CdrDimensionType
    """What is measured."""
    volume: float
    """Measured value, in the unit of the dimension type."""


class SignedData(OcpiStruct, kw_only=True):
    """Signed meter values with the information needed to verify them."""

    encoding_method: Annotated[str, Meta(max_length=36)]
    """Name of the encoding used, e.g. OCMF."""
    encoding_method_version: int | None = None
    """Version of the encoding."""
    public_key: Annotated[str, Meta(max_length=512)] | None = None
    """Base64 encoded public key used for signing."""
    signed_values: Annotated[list[SignedValue], Meta(min_length=1)]
    """The signed values."""
    url: Annotated[str, Meta(max_length=512)] | None = None
    """Address where the driver can verify the signed data."""


class SignedValue(OcpiStruct, kw_only=True):
    """One signed meter value together with its plain form."""

    nature: Annotated[str, Meta(max_length=32)]
    """What the value represents, e.g. Start, End or Intermediate."""
    plain_data: Annotated[str, Meta(max_length=512)]
    """The value in plain (unencoded) form. (Max 512 in tag v2.3.0; edition 2 raises it to 5000.)"""
    signed_data: Annotated[str, Meta(max_length=5000)]
    """Base64 encoded signed data blob."""


class AuthMethod(StrEnum):
    """How a session was authorized."""

    AUTH_REQUEST = 'AUTH_REQUEST'
    COMMAND = 'COMMAND'
    WHITELIST = 'WHITELIST'


class CdrDimensionType(StrEnum):
    """Type of a measured value in a ChargingPeriod. Values listed in x-ocpi-session-only may only be used in Sessions, never in CDRs. With Bookings, RESERVATION_TIME is the time reserved, RESERVATION_EXPIRES the time reserved and not used, RESERVATION_OVERTIME the time a session continues after its booked slot."""

    CURRENT = 'CURRENT'
    ENERGY = 'ENERGY'
    ENERGY_EXPORT = 'ENERGY_EXPORT'
    ENERGY_IMPORT = 'ENERGY_IMPORT'
    MAX_CURRENT = 'MAX_CURRENT'
    MIN_CURRENT = 'MIN_CURRENT'
    MAX_POWER = 'MAX_POWER'
    MIN_POWER = 'MIN_POWER'
    PARKING_TIME = 'PARKING_TIME'
    POWER = 'POWER'
    RESERVATION_TIME = 'RESERVATION_TIME'
    STATE_OF_CHARGE = 'STATE_OF_CHARGE'
    TIME = 'TIME'
    RESERVATION_EXPIRES = 'RESERVATION_EXPIRES'
    RESERVATION_OVERTIME = 'RESERVATION_OVERTIME'

# --- tariffs ---------------------------------------------------------------------------------------------


class Tariff(OcpiStruct, kw_only=True):
    """Pricing information of a CPO for charging (and parking/reservation)."""

    country_code: Annotated[str, Meta(max_length=2)]
    """ISO 3166-1 alpha-2 country code of the CPO owning this Tariff."""
    party_id: Annotated[str, Meta(max_length=3)]
    """Party ID of the CPO owning this Tariff."""
    id: Annotated[str, Meta(max_length=36)]
    """Tariff identifier, unique within the CPO platform."""
    currency: Annotated[str, Meta(max_length=3)]
    """ISO 4217 currency code of the prices."""
    type: TariffType | None = None
    """Kind of tariff; when absent the tariff applies to all sessions."""
    tariff_alt_text: list[DisplayText] | None = None
    """Human readable description of the tariff, possibly in several languages."""
    tariff_alt_url: Url | None = None
    """Web page with an explanation of the tariff."""
    min_price: PriceLimit | None = None
    """Lower bound for the cost of a session under this tariff."""
    max_price: PriceLimit | None = None
    """Upper bound for the cost of a session under this tariff."""
    preauthorize_amount: float | None = None
    """Amount a Payment Terminal Provider should pre-authorize (Payments; present in tag v2.3.0, removed in editions 1 and 2)."""
    elements: Annotated[list[TariffElement], Meta(min_length=1)]
    """Tariff elements."""
    tax_included: TaxIncluded
    """Whether the prices in price components include taxes."""
    start_date_time: DateTime | None = None
    """When the tariff becomes active (UTC)."""
    end_date_time: DateTime | None = None
    """When the tariff stops being valid (UTC)."""
    energy_mix: EnergyMix | None = None
    """Energy mix that applies with this tariff."""
    last_updated: DateTime
    """Time of the last change to the Tariff."""


class TariffElement(OcpiStruct, kw_only=True):
    """A group of price components that apply under the same restrictions."""

    price_components: Annotated[list[PriceComponent], Meta(min_length=1)]
    """How each dimension is priced."""
    restrictions: TariffRestrictions | None = None
    """Conditions under which this element is active."""


class PriceComponent(OcpiStruct, kw_only=True):
    """Price of one dimension (energy, time, parking time or flat fee)."""

    type: TariffDimensionType
    """Dimension this price applies to."""
    price: float
    """Price per unit of the dimension; including or excluding tax according to Tariff.tax_included."""
    vat: float | None = None
    """Applicable VAT percentage; absent means no VAT applies."""
    step_size: int
    """Billing block size in multiples of the dimension base unit; usage is rounded up to a whole block."""


class PriceLimit(OcpiStruct, kw_only=True):
    """A minimum or maximum session cost, before and optionally after taxes."""

    before_taxes: float
    """Limit excluding taxes."""
    after_taxes: float | None = None
    """Limit including taxes."""


class TariffRestrictions(OcpiStruct, kw_only=True):
    """Conditions that must all hold for a TariffElement to be active."""

    start_time: Annotated[str, Meta(max_length=5, pattern='^([0-1][0-9]|2[0-3]):[0-5][0-9]$')] | None = None
    """Local time of day (HH:MM) from which the element is active."""
    end_time: Annotated[str, Meta(max_length=5, pattern='^([0-1][0-9]|2[0-3]):[0-5][0-9]$')] | None = None
    """Local time of day (HH:MM) until which the element is active; wraps past midnight when earlier than start_time."""
    start_date: Annotated[str, Meta(max_length=10, pattern='^([12][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$')] | None = None
    """Local date (YYYY-MM-DD) from which the element is active, inclusive."""
    end_date: Annotated[str, Meta(max_length=10, pattern='^([12][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$')] | None = None
    """Local date (YYYY-MM-DD) until which the element is active, exclusive."""
    min_kwh: float | None = None
    """Active once the consumed energy reaches this value (kWh, inclusive)."""
    max_kwh: float | None = None
    """Active while the consumed energy is below this value (kWh, exclusive)."""
    min_current: float | None = None
    """Active while the current (sum over phases, A) is at least this value."""
    max_current: float | None = None
    """Active while the current (sum over phases, A) is below this value."""
    min_power: float | None = None
    """Active while the power (kW) is at least this value."""
    max_power: float | None = None
    """Active while the power (kW) is below this value."""
    min_duration: int | None = None
    """Active once the session duration reaches this many seconds (inclusive)."""
    max_duration: int | None = None
    """Active while the session duration is below this many seconds (exclusive)."""
    day_of_week: list[DayOfWeek] | None = None
    """Weekdays on which the element is active."""
    reservation: ReservationRestrictionType | None = None
    """When present, the element prices a reservation (only FLAT and TIME components)."""
    booking: BookingRestrictionType | None = None
    """When present, the element prices a booking (only FLAT and TIME components)."""


class DayOfWeek(StrEnum):
    """Day of the week."""

    MONDAY = 'MONDAY'
    TUESDAY = 'TUESDAY'
    WEDNESDAY = 'WEDNESDAY'
    THURSDAY = 'THURSDAY'
    FRIDAY = 'FRIDAY'
    SATURDAY = 'SATURDAY'
    SUNDAY = 'SUNDAY'


class ReservationRestrictionType(StrEnum):
    """Marks a TariffElement as pricing a reservation or an expired reservation."""

    RESERVATION = 'RESERVATION'
    RESERVATION_EXPIRES = 'RESERVATION_EXPIRES'


class BookingRestrictionType(StrEnum):
    """Marks a TariffElement as pricing part of a booking: the booking itself, an unused booking that expired, a cancellation, or the time a session runs past its booked slot. The CDR dimensions for the same concepts are named RESERVATION_*."""

    BOOKING = 'BOOKING'
    BOOKING_EXPIRES = 'BOOKING_EXPIRES'
    BOOKING_CANCELLATION_FEES = 'BOOKING_CANCELLATION_FEES'
    BOOKING_OVERTIME = 'BOOKING_OVERTIME'


class TariffDimensionType(StrEnum):
    """Dimension a PriceComponent prices."""

    ENERGY = 'ENERGY'
    FLAT = 'FLAT'
    PARKING_TIME = 'PARKING_TIME'
    TIME = 'TIME'


class TariffType(StrEnum):
    """Kind of Tariff."""

    AD_HOC_PAYMENT = 'AD_HOC_PAYMENT'
    PROFILE_CHEAP = 'PROFILE_CHEAP'
    PROFILE_FAST = 'PROFILE_FAST'
    PROFILE_GREEN = 'PROFILE_GREEN'
    REGULAR = 'REGULAR'


class TaxIncluded(StrEnum):
    """Whether tariff prices include taxes; N/A when no taxes apply."""

    YES = 'YES'
    NO = 'NO'
    N_A = 'N/A'

# --- tokens ----------------------------------------------------------------------------------------------


class Token(OcpiStruct, kw_only=True):
    """A charging token issued by an eMSP (RFID card, app user, EMAID, ...)."""

    country_code: Annotated[str, Meta(max_length=2)]
    """ISO 3166-1 alpha-2 country code of the eMSP that owns the token."""
    party_id: Annotated[str, Meta(max_length=3)]
    """Party ID (ISO 15118 style) of the eMSP that owns the token."""
    uid: Annotated[str, Meta(max_length=36)]
    """Identifier presented at the charge point (e.g. RFID id, app user id); unique together with type."""
    type: str
    """Kind of token."""
    contract_id: Annotated[str, Meta(max_length=36)]
    """Contract identifier of the driver (eMA ID recommended)."""
    visual_number: Annotated[str, Meta(max_length=64)] | None = None
    """Number printed on or shown for the token."""
    issuer: Annotated[str, Meta(max_length=64)]
    """Company that issued the token."""
    group_id: Annotated[str, Meta(max_length=36)] | None = None
    """Identifier shared by tokens that should be treated as one group."""
    valid: bool
    """Whether the token is currently valid."""
    whitelist: WhitelistType
    """How the CPO may use this token without real-time authorization."""
    language: Annotated[str, Meta(max_length=2)] | None = None
    """Preferred user-interface language, ISO 639-1."""
    default_profile_type: ProfileType | None = None
    """Charging preference applied by default."""
    energy_contract: EnergyContract | None = None
    """Contract the driver holds with an energy supplier."""
    last_updated: DateTime
    """When this token was last changed."""


class TokenPatch(OcpiStruct, kw_only=True):
    """Partial Token for PATCH: only changed fields plus the mandatory last_updated."""

    country_code: Annotated[str, Meta(max_length=2)] | None | UnsetType = UNSET
    """ISO 3166-1 alpha-2 country code of the eMSP that owns the token."""
    party_id: Annotated[str, Meta(max_length=3)] | None | UnsetType = UNSET
    """Party ID (ISO 15118 style) of the eMSP that owns the token."""
    uid: Annotated[str, Meta(max_length=36)] | None | UnsetType = UNSET
    """Identifier presented at the charge point (e.g. RFID id, app user id); unique together with type."""
    type: str | None | UnsetType = UNSET
    """Kind of token."""
    contract_id: Annotated[str, Meta(max_length=36)] | None | UnsetType = UNSET
    """Contract identifier of the driver (eMA ID recommended)."""
    visual_number: Annotated[str, Meta(max_length=64)] | None | UnsetType = UNSET
    """Number printed on or shown for the token."""
    issuer: Annotated[str, Meta(max_length=64)] | None | UnsetType = UNSET
    """Company that issued the token."""
    group_id: Annotated[str, Meta(max_length=36)] | None | UnsetType = UNSET
    """Identifier shared by tokens that should be treated as one group."""
    valid: bool | None | UnsetType = UNSET
    """Whether the token is currently valid."""
    whitelist: WhitelistType | None | UnsetType = UNSET
    """How the CPO may use this token without real-time authorization."""
    language: Annotated[str, Meta(max_length=2)] | None | UnsetType = UNSET
    """Preferred user-interface language, ISO 639-1."""
    default_profile_type: ProfileType | None | UnsetType = UNSET
    """Charging preference applied by default."""
    energy_contract: EnergyContract | None | UnsetType = UNSET
    """Contract the driver holds with an energy supplier."""
    last_updated: DateTime
    """When this token was last changed."""


class AuthorizationInfo(OcpiStruct, kw_only=True):
    """Outcome of a real-time authorization request."""

    allowed: AllowedType
    """Whether the token may charge."""
    token: Token
    """The full Token object that was checked."""
    location: LocationReferences | None = None
    """The requested location, listing only the EVSEs the driver may use."""
    authorization_reference: Annotated[str, Meta(max_length=36)] | None = None
    """Reference the CPO must copy into the resulting Session and CDR."""
    info: DisplayText | None = None
    """Message that can be shown to the driver."""


class LocationReferences(OcpiStruct, kw_only=True):
    """Location (and optionally EVSEs) for which authorization is requested."""

    location_id: Annotated[str, Meta(max_length=36)]
    """Location.id the request is about."""
    evse_uids: list[Annotated[str, Meta(max_length=36)]] | None = None
    """EVSE.uid values within that location."""


class EnergyContract(OcpiStruct, kw_only=True):
    """Driver's own contract with an energy supplier."""

    supplier_name: Annotated[str, Meta(max_length=64)]
    """Name of the energy supplier."""
    contract_id: Annotated[str, Meta(max_length=64)] | None = None
    """Contract identifier at that supplier."""


class AllowedType(StrEnum):
    """Result of an authorization check."""

    ALLOWED = 'ALLOWED'
    BLOCKED = 'BLOCKED'
    EXPIRED = 'EXPIRED'
    NO_CREDIT = 'NO_CREDIT'
    NOT_ALLOWED = 'NOT_ALLOWED'


class TokenType(StrEnum):
    """Kind of token (OpenEnum: other values must be accepted). Open enumeration: fields of this type are `str`; these are the known values."""

    AD_HOC_USER = 'AD_HOC_USER'
    APP_USER = 'APP_USER'
    EMAID = 'EMAID'
    OTHER = 'OTHER'
    RFID = 'RFID'


class WhitelistType(StrEnum):
    """Whitelisting rule telling the CPO when real-time authorization is needed."""

    ALWAYS = 'ALWAYS'
    ALLOWED = 'ALLOWED'
    ALLOWED_OFFLINE = 'ALLOWED_OFFLINE'
    NEVER = 'NEVER'

# --- commands --------------------------------------------------------------------------------------------


class CancelReservation(OcpiStruct, kw_only=True):
    """Body of the CANCEL_RESERVATION command."""

    response_url: Url
    """URL to which the CPO POSTs the CommandResult."""
    reservation_id: Annotated[str, Meta(max_length=36)]
    """Reservation to cancel (as given in ReserveNow)."""


class CommandResponse(OcpiStruct, kw_only=True):
    """Immediate answer of the CPO to a command request."""

    result: CommandResponseType
    """Whether the CPO accepted the request for forwarding."""
    timeout: int
    """Seconds the eMSP should wait for the asynchronous CommandResult."""
    message: list[DisplayText] | None = None
    """Human-readable explanation."""


class CommandResult(OcpiStruct, kw_only=True):
    """Asynchronous outcome of a command, POSTed to the response_url."""

    result: CommandResultType
    """Outcome reported by the charge point."""
    message: list[DisplayText] | None = None
    """Human-readable explanation."""


class ReserveNow(OcpiStruct, kw_only=True):
    """Body of the RESERVE_NOW command."""

    response_url: Url
    """URL for the CommandResult; also used later for a CPO-side cancellation."""
    token: Token
    """Token the reservation is made for."""
    expiry_date: DateTime
    """When the reservation ends."""
    reservation_id: Annotated[str, Meta(max_length=36)]
    """Reservation id; reusing it at the same Location replaces the reservation."""
    location_id: Annotated[str, Meta(max_length=36)]
    """Location.id where to reserve."""
    evse_uid: Annotated[str, Meta(max_length=36)] | None = None
    """EVSE.uid to reserve; absent means any EVSE of the location."""
    authorization_reference: Annotated[str, Meta(max_length=36)] | None = None
    """Reference to be copied into the resulting Session and CDR."""


class StartSession(OcpiStruct, kw_only=True):
    """Body of the START_SESSION command."""

    response_url: Url
    """URL to which the CPO POSTs the CommandResult."""
    token: Token
    """Token (already authorized by the eMSP) to start the session with."""
    location_id: Annotated[str, Meta(max_length=36)]
    """Location.id where to start."""
    evse_uid: Annotated[str, Meta(max_length=36)] | None = None
    """EVSE.uid to start on; required when connector_id is given."""
    connector_id: Annotated[str, Meta(max_length=36)] | None = None
    """Connector.id; required when the EVSE has capability START_SESSION_CONNECTOR_REQUIRED."""
    authorization_reference: Annotated[str, Meta(max_length=36)] | None = None
    """Reference to be copied into the resulting Session and CDR."""


class StopSession(OcpiStruct, kw_only=True):
    """Body of the STOP_SESSION command."""

    response_url: Url
    """URL to which the CPO POSTs the CommandResult."""
    session_id: Annotated[str, Meta(max_length=36)]
    """Session.id of the session to stop."""


class UnlockConnector(OcpiStruct, kw_only=True):
    """Body of the UNLOCK_CONNECTOR command."""

    response_url: Url
    """URL to which the CPO POSTs the CommandResult."""
    location_id: Annotated[str, Meta(max_length=36)]
    """Location.id of the connector."""
    evse_uid: Annotated[str, Meta(max_length=36)]
    """EVSE.uid of the connector."""
    connector_id: Annotated[str, Meta(max_length=36)]
    """Connector.id to unlock."""


class CommandResponseType(StrEnum):
    """Synchronous CPO answer to a command request."""

    NOT_SUPPORTED = 'NOT_SUPPORTED'
    REJECTED = 'REJECTED'
    ACCEPTED = 'ACCEPTED'
    UNKNOWN_SESSION = 'UNKNOWN_SESSION'


class CommandResultType(StrEnum):
    """Outcome of a command as reported by the charge point."""

    ACCEPTED = 'ACCEPTED'
    CANCELED_RESERVATION = 'CANCELED_RESERVATION'
    EVSE_OCCUPIED = 'EVSE_OCCUPIED'
    EVSE_INOPERATIVE = 'EVSE_INOPERATIVE'
    FAILED = 'FAILED'
    NOT_SUPPORTED = 'NOT_SUPPORTED'
    REJECTED = 'REJECTED'
    TIMEOUT = 'TIMEOUT'
    UNKNOWN_RESERVATION = 'UNKNOWN_RESERVATION'


class CommandType(StrEnum):
    """Kind of command (OpenEnum: other values must be accepted). Open enumeration: fields of this type are `str`; these are the known values."""

    CANCEL_RESERVATION = 'CANCEL_RESERVATION'
    RESERVE_NOW = 'RESERVE_NOW'
    START_SESSION = 'START_SESSION'
    STOP_SESSION = 'STOP_SESSION'
    UNLOCK_CONNECTOR = 'UNLOCK_CONNECTOR'

# --- chargingprofiles ------------------------------------------------------------------------------------


class ActiveChargingProfile(OcpiStruct, kw_only=True):
    """Charging profile currently in effect for a session, as computed by the charge point."""

    start_date_time: DateTime
    """Moment the profile was calculated; the profile is relative to it."""
    charging_profile: ChargingProfile
    """The limits over time."""


class ActiveChargingProfileResult(OcpiStruct, kw_only=True):
    """Asynchronous answer to a GET of the active charging profile."""

    result: ChargingProfileResultType
    """Whether the EVSE could deliver the active profile."""
    profile: ActiveChargingProfile | None = None
    """The active profile; present when result is ACCEPTED."""


class ChargingProfile(OcpiStruct, kw_only=True):
    """Maximum charging limits over time."""

    start_date_time: DateTime | None = None
    """Absolute start of the profile; absent means relative to the start of charging."""
    duration: int | None = None
    """Length of the profile in seconds; absent means the last period lasts until the session ends."""
    charging_rate_unit: ChargingRateUnit
    """Unit of the limits (W or A)."""
    min_charging_rate: float | None = None
    """Lowest rate the EV supports, in charging_rate_unit (at most one decimal)."""
    charging_profile_period: list[ChargingProfilePeriod] | None = None
    """Periods with their limits."""


class ChargingProfilePeriod(OcpiStruct, kw_only=True):
    """One period of a charging profile."""

    start_period: int
    """Seconds from the profile start at which this period begins (and the previous one ends)."""
    limit: float
    """Maximum rate in charging_rate_unit (at most one decimal)."""


class ChargingProfileResponse(OcpiStruct, kw_only=True):
    """Immediate answer of the CPO to a charging profile request."""

    result: ChargingProfileResponseType
    """Whether the request was accepted for processing."""
    timeout: int
    """Seconds to wait for the asynchronous result."""


class ChargingProfileResult(OcpiStruct, kw_only=True):
    """Asynchronous answer to a SetChargingProfile (PUT)."""

    result: ChargingProfileResultType
    """Whether the profile was applied."""


class ClearProfileResult(OcpiStruct, kw_only=True):
    """Asynchronous answer to a clear-profile request (DELETE)."""

    result: ChargingProfileResultType
    """Whether the profile was removed."""


class SetChargingProfile(OcpiStruct, kw_only=True):
    """Request body to set a charging profile on a session."""

    charging_profile: ChargingProfile
    """Limits to apply."""
    response_url: Url
    """URL to which the ChargingProfileResult is POSTed."""


class ChargingProfileResponseType(StrEnum):
    """Synchronous CPO answer to a charging profile request."""

    ACCEPTED = 'ACCEPTED'
    NOT_SUPPORTED = 'NOT_SUPPORTED'
    REJECTED = 'REJECTED'
    TOO_OFTEN = 'TOO_OFTEN'
    UNKNOWN_SESSION = 'UNKNOWN_SESSION'


class ChargingProfileResultType(StrEnum):
    """Outcome of a charging profile request at the EVSE."""

    ACCEPTED = 'ACCEPTED'
    REJECTED = 'REJECTED'
    UNKNOWN = 'UNKNOWN'


class ChargingRateUnit(StrEnum):
    """Unit of charging limits: W = total power in watts, A = current per phase in amperes."""

    W = 'W'
    A = 'A'

# --- payments --------------------------------------------------------------------------------------------


class Terminal(OcpiStruct, kw_only=True):
    """A physical payment terminal and the locations/EVSEs it serves."""

    terminal_id: Annotated[str, Meta(max_length=36)]
    """Unique identifier of the terminal."""
    customer_reference: Annotated[str, Meta(max_length=36)] | None = None
    """Reference linking the terminal to a CSMS/customer."""
    party_id: Annotated[str, Meta(max_length=3)] | None = None
    """Party ID, usable instead of customer_reference."""
    country_code: Annotated[str, Meta(max_length=2)] | None = None
    """Country code, usable instead of customer_reference."""
    address: Annotated[str, Meta(max_length=45)] | None = None
    """Street and house number of the terminal."""
    city: Annotated[str, Meta(max_length=45)] | None = None
    """City or town."""
    postal_code: Annotated[str, Meta(max_length=10)] | None = None
    """Postal code; omitted only when none exists."""
    state: Annotated[str, Meta(max_length=20)] | None = None
    """State or province, where relevant."""
    country: Annotated[str, Meta(max_length=3)] | None = None
    """ISO 3166-1 alpha-3 country code."""
    coordinates: GeoLocation | None = None
    """Position of the terminal."""
    invoice_base_url: Url | None = None
    """Base URL under which invoices can be downloaded."""
    invoice_creator: InvoiceCreator | None = None
    """Party that issues the invoice to the driver."""
    reference: Annotated[str, Meta(max_length=36)] | None = None
    """Mapping value issued by the PTP (e.g. serial number)."""
    location_ids: list[Annotated[str, Meta(max_length=36)]] | None = None
    """Locations assigned to this terminal."""
    evse_uids: list[Annotated[str, Meta(max_length=36)]] | None = None
    """EVSEs assigned to this terminal."""
    last_updated: DateTime
    """When this terminal was last changed (or created)."""


class TerminalPatch(OcpiStruct, kw_only=True):
    """Partial Terminal for PATCH (e.g. assigning location_ids/evse_uids) plus last_updated."""

    terminal_id: Annotated[str, Meta(max_length=36)] | None | UnsetType = UNSET
    """Unique identifier of the terminal."""
    customer_reference: Annotated[str, Meta(max_length=36)] | None | UnsetType = UNSET
    """Reference linking the terminal to a CSMS/customer."""
    party_id: Annotated[str, Meta(max_length=3)] | None | UnsetType = UNSET
    """Party ID, usable instead of customer_reference."""
    country_code: Annotated[str, Meta(max_length=2)] | None | UnsetType = UNSET
    """Country code, usable instead of customer_reference."""
    address: Annotated[str, Meta(max_length=45)] | None | UnsetType = UNSET
    """Street and house number of the terminal."""
    city: Annotated[str, Meta(max_length=45)] | None | UnsetType = UNSET
    """City or town."""
    postal_code: Annotated[str, Meta(max_length=10)] | None | UnsetType = UNSET
    """Postal code; omitted only when none exists."""
    state: Annotated[str, Meta(max_length=20)] | None | UnsetType = UNSET
    """State or province, where relevant."""
    country: Annotated[str, Meta(max_length=3)] | None | UnsetType = UNSET
    """ISO 3166-1 alpha-3 country code."""
    coordinates: GeoLocation | None | UnsetType = UNSET
    """Position of the terminal."""
    invoice_base_url: Url | None | UnsetType = UNSET
    """Base URL under which invoices can be downloaded."""
    invoice_creator: InvoiceCreator | None | UnsetType = UNSET
    """Party that issues the invoice to the driver."""
    reference: Annotated[str, Meta(max_length=36)] | None | UnsetType = UNSET
    """Mapping value issued by the PTP (e.g. serial number)."""
    location_ids: list[Annotated[str, Meta(max_length=36)]] | None | UnsetType = UNSET
    """Locations assigned to this terminal."""
    evse_uids: list[Annotated[str, Meta(max_length=36)]] | None | UnsetType = UNSET
    """EVSEs assigned to this terminal."""
    last_updated: DateTime
    """When this terminal was last changed (or created)."""


class FinancialAdviceConfirmation(OcpiStruct, kw_only=True):
    """Captured amount and EFT data of a terminal payment, used to complete the CPO invoice."""

    id: Annotated[str, Meta(max_length=36)]
    """Unique identifier of this confirmation."""
    authorization_reference: Annotated[str, Meta(max_length=36)]
    """authorization_reference from the StartSession command; links to Session/CDR."""
    total_costs: Price
    """Amount actually captured at the PSP (consumer price incl. VAT)."""
    currency: Annotated[str, Meta(max_length=3)]
    """ISO 4217 currency code."""
    eft_data: Annotated[list[Annotated[str, Meta(max_length=255, min_length=1)]], Meta(min_length=1)]
    """Invoice-relevant electronic funds transfer data lines."""
    capture_status_code: CaptureStatusCode
    """Outcome of the capture."""
    capture_status_message: Annotated[str, Meta(max_length=255, min_length=1)] | None = None
    """Message about an error during capture."""
    last_updated: DateTime
    """When this confirmation was last changed (or created)."""


class InvoiceCreator(StrEnum):
    """Party that issues the invoice to the driver."""

    CPO = 'CPO'
    PTP = 'PTP'


class CaptureStatusCode(StrEnum):
    """Outcome of the payment capture at the PSP."""

    SUCCESS = 'SUCCESS'
    PARTIAL_SUCCESS = 'PARTIAL_SUCCESS'
    FAILED = 'FAILED'

# --- invoicereconciliation -------------------------------------------------------------------------------


class InvoiceReconciliationRecord(OcpiStruct, kw_only=True):
    """Which CDRs one invoice covers, published by the party that issued the invoice so that the receiver can recompute the total from its own copies of those CDRs. The list of CDRs, not the time they were sent, defines what the invoice covers."""

    country_code: Annotated[str, Meta(max_length=2)]
    """ISO 3166-1 alpha-2 country code of the party that issued the invoice and owns the record."""
    party_id: Annotated[str, Meta(max_length=3)]
    """Party ID of the party that issued the invoice and owns the record."""
    id: Annotated[str, Meta(max_length=36)]
    """Record identifier, unique among the owner's records."""
    invoice_id: Annotated[str, Meta(max_length=255)]
    """Identifier of the invoice, as the issuer gave it."""
    cdrs: Annotated[list[Annotated[str, Meta(max_length=39)]], Meta(min_length=1)]
    """Ids of every CDR the invoice covers (at least one; the complete list, replaced as a whole by a PUT). They are ids of the CPO's CDRs: the owner's in direct billing, the receiving CPO's in reverse billing. The spec limits each to 36 characters, but a Credit CDR id may have 39; this description accepts 39 and issuers should keep to 36 where they can."""
    last_updated: DateTime
    """When the record was issued or last corrected."""

# --- bookings --------------------------------------------------------------------------------------------


class BookingLocation(OcpiStruct, kw_only=True):
    """What can be booked at one Location of a CPO, on which terms, and when it is free."""

    country_code: Annotated[str, Meta(max_length=2)]
    """ISO 3166-1 alpha-2 country code of the CPO owning this BookingLocation."""
    party_id: Annotated[str, Meta(max_length=3)]
    """Party ID of the CPO owning this BookingLocation."""
    id: Annotated[str, Meta(max_length=36)]
    """BookingLocation identifier, unique within the CPO platform."""
    location_id: Annotated[str, Meta(max_length=36)]
    """Location.id of the Location it belongs to."""
    booking_option: BookingOption | None = None
    """What can be booked here. The spec's text asks for booking_option or evse_uid, but evse_uid now lives inside booking_option; its absence is not an error."""
    policy: Policy | None = None
    """Whether booking is required here, and how many options stay free for drivers without one."""
    tariff_ids: list[Annotated[str, Meta(max_length=36)]] | None = None
    """Tariffs that apply to bookings here (each max 36 chars)."""
    booking_terms: BookingTerms | None = None
    """Terms for bookings here."""
    calendars: list[Calendar] | None = None
    """Availability calendars."""
    last_updated: DateTime
    """Time of the last change to the BookingLocation or any of its Calendars."""


class BookingLocationPatch(OcpiStruct, kw_only=True):
    """Partial BookingLocation for PATCH: only changed fields, last_updated is mandatory."""

    country_code: Annotated[str, Meta(max_length=2)] | None | UnsetType = UNSET
    """ISO 3166-1 alpha-2 country code of the CPO owning this BookingLocation."""
    party_id: Annotated[str, Meta(max_length=3)] | None | UnsetType = UNSET
    """Party ID of the CPO owning this BookingLocation."""
    id: Annotated[str, Meta(max_length=36)] | None | UnsetType = UNSET
    """BookingLocation identifier, unique within the CPO platform."""
    location_id: Annotated[str, Meta(max_length=36)] | None | UnsetType = UNSET
    """Location.id of the Location it belongs to."""
    booking_option: BookingOption | None | UnsetType = UNSET
    """What can be booked here. The spec's text asks for booking_option or evse_uid, but evse_uid now lives inside booking_option; its absence is not an error."""
    policy: Policy | None | UnsetType = UNSET
    """Whether booking is required here, and how many options stay free for drivers without one."""
    tariff_ids: list[Annotated[str, Meta(max_length=36)]] | None | UnsetType = UNSET
    """Tariffs that apply to bookings here (each max 36 chars)."""
    booking_terms: BookingTerms | None | UnsetType = UNSET
    """Terms for bookings here."""
    calendars: list[Calendar] | None | UnsetType = UNSET
    """Availability calendars."""
    last_updated: DateTime
    """Time of the last change to the BookingLocation or any of its Calendars."""


class Calendar(OcpiStruct, kw_only=True):
    """Free timeslots of a BookingLocation within a window of time."""

    id: Annotated[str, Meta(max_length=36)]
    """Calendar identifier, unique within its BookingLocation."""
    begin_from: DateTime
    """Start of the window this calendar covers."""
    end_before: DateTime
    """End of the window this calendar covers."""
    timeslot_increment: int | None = None
    """Smallest step, in minutes, in which an available timeslot can be booked."""
    available_timeslots: Annotated[list[Timeslot], Meta(min_length=1)]
    """The free timeslots (at least one)."""
    last_updated: DateTime
    """Time of the last change to the Calendar."""


class CalendarPatch(OcpiStruct, kw_only=True):
    """Partial Calendar for PATCH: only changed fields, last_updated is mandatory."""

    id: Annotated[str, Meta(max_length=36)] | None | UnsetType = UNSET
    """Calendar identifier, unique within its BookingLocation."""
    begin_from: DateTime | None | UnsetType = UNSET
    """Start of the window this calendar covers."""
    end_before: DateTime | None | UnsetType = UNSET
    """End of the window this calendar covers."""
    timeslot_increment: int | None | UnsetType = UNSET
    """Smallest step, in minutes, in which an available timeslot can be booked."""
    available_timeslots: Annotated[list[Timeslot], Meta(min_length=1)] | None | UnsetType = UNSET
    """The free timeslots (at least one)."""
    last_updated: DateTime
    """Time of the last change to the Calendar."""


class Booking(OcpiStruct, kw_only=True):
    """A booked timeslot at a Location of a CPO, with every request made for it."""

    id: Annotated[str, Meta(max_length=36)]
    """Booking identifier, unique within the CPO platform."""
    country_code: Annotated[str, Meta(max_length=2)]
    """ISO 3166-1 alpha-2 country code of the CPO owning this Booking."""
    party_id: Annotated[str, Meta(max_length=3)]
    """Party ID of the CPO owning this Booking."""
    request_id: Annotated[str, Meta(max_length=36)]
    """The requesting eMSP's identifier of the booking; the same for every change of it."""
    booking_option: BookingOption | None = None
    """What was booked."""
    location_id: Annotated[str, Meta(max_length=36)]
    """Location.id where the booking applies."""
    booking_tokens: list[BookingToken] | None = None
    """Tokens that may use the booking."""
    tariff_ids: list[Annotated[str, Meta(max_length=36)]] | None = None
    """Tariffs relevant to this booking (each max 36 chars)."""
    period: Timeslot
    """The booked timeslot (a Timeslot, so with the power that comes with it)."""
    reservation_status: ReservationStatus
    """Current state. The spec's lifecycle drawing also allows PENDING to CANCELED and RESERVED to PENDING; readers accept those, writers do not send RESERVED to PENDING (a change request leaves the Booking RESERVED)."""
    canceled: Cancellation | None = None
    """Why and by whom the booking was cancelled."""
    access_information: list[AccessInformation] | None = None
    """How the driver gets into the site."""
    authorization_reference: Annotated[str, Meta(max_length=36)]
    """Reference that the resulting Session and CDR carry."""
    booking_terms: BookingTerms
    """The terms that were accepted."""
    booking_requests: Annotated[list[BookingRequestStatus], Meta(min_length=1)]
    """Every request made for this booking, with its status (at least one)."""
    last_updated: DateTime
    """Time of the last change to the Booking."""


class BookingPatch(OcpiStruct, kw_only=True):
    """Partial Booking for PATCH: only changed fields, last_updated is mandatory."""

    id: Annotated[str, Meta(max_length=36)] | None | UnsetType = UNSET
    """Booking identifier, unique within the CPO platform."""
    country_code: Annotated[str, Meta(max_length=2)] | None | UnsetType = UNSET
    """ISO 3166-1 alpha-2 country code of the CPO owning this Booking."""
    party_id: Annotated[str, Meta(max_length=3)] | None | UnsetType = UNSET
    """Party ID of the CPO owning this Booking."""
    request_id: Annotated[str, Meta(max_length=36)] | None | UnsetType = UNSET
    """The requesting eMSP's identifier of the booking; the same for every change of it."""
    booking_option: BookingOption | None | UnsetType = UNSET
    """What was booked."""
    location_id: Annotated[str, Meta(max_length=36)] | None | UnsetType = UNSET
    """Location.id where the booking applies."""
    booking_tokens: list[BookingToken] | None | UnsetType = UNSET
    """Tokens that may use the booking."""
    tariff_ids: list[Annotated[str, Meta(max_length=36)]] | None | UnsetType = UNSET
    """Tariffs relevant to this booking (each max 36 chars)."""
    period: Timeslot | None | UnsetType = UNSET
    """The booked timeslot (a Timeslot, so with the power that comes with it)."""
    reservation_status: ReservationStatus | None | UnsetType = UNSET
    """Current state. The spec's lifecycle drawing also allows PENDING to CANCELED and RESERVED to PENDING; readers accept those, writers do not send RESERVED to PENDING (a change request leaves the Booking RESERVED)."""
    canceled: Cancellation | None | UnsetType = UNSET
    """Why and by whom the booking was cancelled."""
    access_information: list[AccessInformation] | None | UnsetType = UNSET
    """How the driver gets into the site."""
    authorization_reference: Annotated[str, Meta(max_length=36)] | None | UnsetType = UNSET
    """Reference that the resulting Session and CDR carry."""
    booking_terms: BookingTerms | None | UnsetType = UNSET
    """The terms that were accepted."""
    booking_requests: Annotated[list[BookingRequestStatus], Meta(min_length=1)] | None | UnsetType = UNSET
    """Every request made for this booking, with its status (at least one)."""
    last_updated: DateTime
    """Time of the last change to the Booking."""


class BookingRequest(OcpiStruct, kw_only=True):
    """What an eMSP asks for: a new booking, a change of one (same request_id) or its cancellation (canceled set)."""

    country_code: Annotated[str, Meta(max_length=2)]
    """ISO 3166-1 alpha-2 country code of the requesting eMSP."""
    party_id: Annotated[str, Meta(max_length=3)]
    """Party ID of the requesting eMSP."""
    request_id: Annotated[str, Meta(max_length=36)]
    """The eMSP's identifier of the booking; the same for every change of it."""
    booking_option: BookingOption | None = None
    """The option chosen, e.g. one evse_uid."""
    location_id: Annotated[str, Meta(max_length=36)]
    """Location.id where the booking applies."""
    booking_location_id: Annotated[str, Meta(max_length=36)]
    """BookingLocation.id being booked."""
    tokens: list[BookingToken] | None = None
    """Tokens that may use the booking."""
    access_information: list[AccessInformation] | None = None
    """How the driver will get in, e.g. a licence plate for a barrier."""
    period: Period
    """Requested start and end."""
    authorization_reference: Annotated[str, Meta(max_length=36)]
    """Reference the CPO puts in the resulting Session and CDR."""
    power_required: int | None = None
    """Power asked for, in kW (Timeslot powers are in W)."""
    canceled: Cancellation | None = None
    """Set to cancel the booking."""


class BookingRequestStatus(OcpiStruct, kw_only=True):
    """One request made for a Booking, with the CPO's answer to it."""

    request_status: ReservationRequestStatus
    """The CPO's answer to this request."""
    booking_request: BookingRequest
    """The request as the eMSP sent it."""
    request_received: DateTime
    """When the CPO received it."""


class BookingOption(OcpiStruct, kw_only=True):
    """What can be booked (on a BookingLocation) or was chosen (in a request or Booking): an EVSE, connector or parking space, and the physical properties a vehicle needs. Size, weight and dangerous-goods fields should be given unless vehicle_types holds only PERSONAL_VEHICLE and MOTORCYCLE."""

    evse_uid: Annotated[str, Meta(max_length=36)] | None = None
    """EVSE.uid that can be (or was) booked; #NA when no EVSE is assigned yet."""
    connector_id: Annotated[str, Meta(max_length=36)] | None = None
    """Connector.id within that EVSE."""
    parking_id: Annotated[str, Meta(max_length=36)] | None = None
    """Parking.id of one of the Location's parking_places."""
    evse_position: list[EVSEPosition] | None = None
    """Where the EVSE stands relative to the parking space."""
    vehicle_types: list[str] | None = None
    """Vehicle types that fit."""
    connector_format: list[ConnectorFormat] | None = None
    """Socket, cable or both."""
    connector_types: list[str] | None = None
    """Connector standards available."""
    power_types: list[PowerType] | None = None
    """Kinds of current available."""
    max_vehicle_weight: float | None = None
    """Maximum vehicle weight in kg."""
    max_vehicle_height: float | None = None
    """Maximum vehicle height in cm."""
    max_vehicle_length: float | None = None
    """Maximum vehicle length in cm."""
    max_vehicle_width: float | None = None
    """Maximum vehicle width in cm."""
    min_parking_space_length: float | None = None
    """Smallest parking space length in cm."""
    min_parking_space_width: float | None = None
    """Smallest parking space width in cm."""
    dangerous_goods_allowed: bool | None = None
    """Whether vehicles carrying dangerous goods may use it."""
    drive_through: bool | None = None
    """True only when every listed vehicle type can drive through without reversing."""
    refrigeration_outlet: bool | None = None
    """Whether power for a refrigerated truck is available."""


class BookingTerms(OcpiStruct, kw_only=True):
    """The conditions under which a booking is made. Where the spec's descriptions of change_not_allowed and late_stop_time contradict their names, the names are meant."""

    rfid_auth_required: bool | None = None
    """Whether the driver must authenticate with RFID at the charger."""
    token_groups_supported: bool | None = None
    """Whether any token of the same group_id may use the booking."""
    remote_auth_supported: bool | None = None
    """Whether the booking can be used through a remote start (START_SESSION)."""
    supported_access_methods: Annotated[list[AccessMethod], Meta(min_length=1)]
    """Ways to get into the site (at least one)."""
    change_until_minutes: float
    """Changes are accepted until this many minutes before the booked slot."""
    cancel_until_minutes: float
    """Cancellation is accepted until this many minutes before the booked slot."""
    change_not_allowed: bool | None = None
    """True when a booking cannot be changed at all."""
    early_start_allowed: bool | None = None
    """Whether charging may start before the booked slot."""
    early_start_time: float | None = None
    """How many minutes early charging may start."""
    noshow_timeout: float | None = None
    """Minutes after the start of the slot after which an unused booking becomes NO_SHOW and is released; absent: no timeout."""
    noshow_fee: bool | None = None
    """Whether a no-show is charged (the amount is in the terms or the tariffs)."""
    late_stop_allowed: bool | None = None
    """Whether charging may go on after the booked slot."""
    late_stop_time: float | None = None
    """How many minutes charging may go on after the slot."""
    overlapping_bookings_allowed: bool | None = None
    """Whether one RFID token may hold several bookings at once."""
    min_booking_duration: float | None = None
    """Shortest booking, in minutes."""
    max_booking_duration: float | None = None
    """Longest booking, in minutes."""
    booking_terms: Url | None = None
    """The CPO's page with the full terms (no-show policy, fees)."""


class BookingToken(OcpiStruct, kw_only=True):
    """A token that may use a Booking (the same fields as CdrToken; not a full Token)."""

    country_code: Annotated[str, Meta(max_length=2)]
    """ISO 3166-1 alpha-2 country code of the eMSP owning the token."""
    party_id: Annotated[str, Meta(max_length=3)]
    """Party ID of the eMSP owning the token."""
    uid: Annotated[str, Meta(max_length=36)]
    """Token uid."""
    type: str
    """Token type."""
    contract_id: Annotated[str, Meta(max_length=36)]
    """Contract identifier of the driver."""


class AccessInformation(OcpiStruct, kw_only=True):
    """How to get into the site, e.g. by licence plate or access code."""

    method: AccessMethod
    """The way of access."""
    value: str | None = None
    """What the method needs, e.g. the plate ABC12D or a code."""


class Cancellation(OcpiStruct, kw_only=True):
    """Why and by whom a Booking was cancelled."""

    cancellation_reason: CanceledReason
    """Why it was cancelled."""
    who_canceled: Role
    """Who cancelled it, CPO or EMSP (the spec links an interface-role anchor here; the Role values are meant)."""


class Period(OcpiStruct, kw_only=True):
    """A requested start and end."""

    start_date_time: DateTime
    """Start of the period."""
    end_date_time: DateTime
    """End of the period."""


class Timeslot(OcpiStruct, kw_only=True):
    """A span of time with the power that comes with it; the period of a Booking and the free slots of a Calendar."""

    start_date_time: DateTime
    """Start of the timeslot."""
    end_date_time: DateTime
    """End of the timeslot."""
    min_power: float | None = None
    """Power in W guaranteed during the timeslot."""
    max_power: float | None = None
    """Power in W available during the timeslot (a request may ask for less)."""
    green_energy_support: bool | None = None
    """Whether green energy is supplied in this timeslot."""


class Policy(OcpiStruct, kw_only=True):
    """Whether charging here needs a booking."""

    reservation_required: bool
    """Whether charging here is only possible with a booking."""
    ad_hoc: float | None = None
    """Number of charging options kept free for drivers without a booking."""


class ReservationStatus(StrEnum):
    """State of a Booking. CANCELED, NO_SHOW, REJECTED, FAILED and FULFILLED are final; UNKNOWN has no transition."""

    PENDING = 'PENDING'
    RESERVED = 'RESERVED'
    CANCELED = 'CANCELED'
    FAILED = 'FAILED'
    NO_SHOW = 'NO_SHOW'
    FULFILLED = 'FULFILLED'
    REJECTED = 'REJECTED'
    UNKNOWN = 'UNKNOWN'


class ReservationRequestStatus(StrEnum):
    """State of one request within a Booking."""

    PENDING = 'PENDING'
    ACCEPTED = 'ACCEPTED'
    DECLINED = 'DECLINED'
    FAILED = 'FAILED'


class AccessMethod(StrEnum):
    """A way for a driver to get into the site of a booked charger."""

    OPEN = 'OPEN'
    TOKEN = 'TOKEN'
    LICENSE_PLATE = 'LICENSE_PLATE'
    ACCESS_CODE = 'ACCESS_CODE'
    INTERCOM = 'INTERCOM'
    PARKING_TICKET = 'PARKING_TICKET'


class CanceledReason(StrEnum):
    """Why a Booking was cancelled: POWER_OUTAGE, BROKEN_CHARGER and FULL are a CPO's reasons, TRAFFIC, BROKEN_VEHICLE and NO_CANCELED (the driver gave none) an eMSP's."""

    POWER_OUTAGE = 'POWER_OUTAGE'
    BROKEN_CHARGER = 'BROKEN_CHARGER'
    FULL = 'FULL'
    BLOCKED = 'BLOCKED'
    TRAFFIC = 'TRAFFIC'
    BROKEN_VEHICLE = 'BROKEN_VEHICLE'
    NO_CANCELED = 'NO_CANCELED'
    UNKNOWN = 'UNKNOWN'
