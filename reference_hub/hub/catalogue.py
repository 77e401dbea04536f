"""The catalogue of modules: everything the hub needs to know about a functional module, one row each.

A row says which object the hub keeps a copy of, how it is keyed, who owns it and where the owner is named, who may
read every object of it, who receives a broadcast of it, and what sits inside it. The generic parts of the hub (the
object engine in ``hub/objects.py``, the front door in ``hub/frontdoor.py``, the delivery planner in
``hub/outbox.py``) read these rows and name no module; what a row cannot say lives in ``hub/modules/<module id>.py``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Literal

from reference_hub.ocpi.errors import NotFound, OcpiError, UnknownLocation, UnknownToken
from reference_hub.ocpi.models import (
    CDR,
    EVSE,
    Booking,
    BookingLocation,
    BookingLocationPatch,
    BookingPatch,
    Calendar,
    CalendarPatch,
    Connector,
    ConnectorPatch,
    EVSEPatch,
    FinancialAdviceConfirmation,
    InvoiceReconciliationRecord,
    Location,
    LocationPatch,
    Role,
    Session,
    SessionPatch,
    Tariff,
    Terminal,
    TerminalPatch,
    Token,
    TokenPatch,
)
from reference_hub.ocpi.operations import Operation

CPO_DATA_READERS = frozenset({Role.EMSP, Role.NSP, Role.NAP, Role.SCSP, Role.OTHER})
"""Who reads a CPO's published data (Locations, Tariffs) and receives its broadcasts: OTHER counts as eMSP-like."""


@dataclass(frozen=True, slots=True)
class ModuleSpec:
    """One functional module, as the hub treats it."""

    module: str
    """OCPI ModuleID; for a module with several kinds of object, ``<module>.<kind>``, where ``<kind>`` is the path
    segment the kind is addressed under (Payments' ``terminals``, Bookings' ``booking_locations``); the module's
    own row, without a kind, serves its other operations."""
    model: type[Any]
    """The object the hub keeps a copy of."""
    patch: type[Any] | None = None
    """Its PATCH body (None: the module has no PATCH)."""
    id_field: str = "id"
    owner_roles: frozenset[Role] | None = frozenset({Role.CPO})
    """The roles a party that owns the objects may have (the module's data owner: one role, or either party of a
    flow that goes both ways, as an invoice's issuer); None: a role 2.3.0's Role enumeration does not have
    (Payments' PTP), so any registered party may own them."""
    owner_from: Literal["url", "body", "sender"] = "url"
    """Where the owner is named: ``{country_code}/{party_id}`` in the URL, the body (a CDR or an invoice
    reconciliation record POSTed to the bare endpoint), or only the sending party (Payments: no party in the URL)."""
    readers: frozenset[Role] | None = None
    """Roles that may read every object in a GET-all; None: personal data, read by its owner and its audience."""
    audience_path: tuple[str | int, ...] = ()
    """Where the object names the one other party that may read it: a path of field names (and list positions) to
    an object with ``country_code`` and ``party_id`` (a Session's or CDR's ``cdr_token``; the requesting eMSP in a
    Booking's first request). Empty: the object does not say; a module file gives the audience (the counterparty
    an invoice reconciliation record was routed to)."""
    broadcast_to: frozenset[Role] = frozenset()
    """Roles a push to the hub is broadcast to (empty: never broadcast; the spec meant broadcast for the CPO's
    published data and the eMSP's tokens, not for sessions or CDRs)."""
    sub_objects: tuple[tuple[type[Any], type[Any]], ...] = ()
    """Objects addressed inside the object, one URL segment deeper each, with their PATCH bodies (a Location's EVSEs,
    their connectors)."""
    sub_id_fields: tuple[str, ...] = ()
    """The id field of each sub-object level (``uid`` of an EVSE, ``id`` of a connector)."""
    sub_lists: tuple[str, ...] = ()
    """The list field holding each sub-object level in its parent (``evses``, ``connectors``)."""
    sub_nouns: tuple[str, ...] = ()
    """What each sub-object level is called in messages."""
    noun: str = ""
    """What one object is called in messages (default: the module id without its plural s)."""
    keyed_by_type: bool = False
    """The id alone is not unique: the key adds the object's ``type`` (Tokens: ``uid`` and ``type``)."""
    date_from_required: bool = False
    """The spec's table marks ``date_from`` as required on this module's Sender list (Sessions). The hub serves the
    list without it all the same; the fault switch ``sessions_date_from_required`` refuses it, as some platforms do."""
    appended_lists: tuple[str, ...] = ()
    """List fields a PATCH appends to rather than replaces (a Session's ``charging_periods``)."""
    unknown: type[OcpiError] = NotFound
    """The error for an object the hub does not hold (a module-specific status code where the spec names one)."""
    open_enum_fields: tuple[str, ...] = field(default=())
    """Fields holding open enumerations whose unlisted values must be taken (for the ``closed_enums`` fault)."""

    def __post_init__(self) -> None:
        if not self.noun:
            object.__setattr__(self, "noun", self.module.rsplit(".", 1)[-1].rstrip("s"))

    @property
    def module_id(self) -> str:
        """The OCPI ModuleID, as version details name the module's endpoints."""
        return self.module.split(".", 1)[0]


CATALOGUE: tuple[ModuleSpec, ...] = (
    ModuleSpec(
        "locations",
        Location,
        LocationPatch,
        readers=CPO_DATA_READERS,
        broadcast_to=CPO_DATA_READERS,
        sub_objects=((EVSE, EVSEPatch), (Connector, ConnectorPatch)),
        sub_id_fields=("uid", "id"),
        sub_lists=("evses", "connectors"),
        sub_nouns=("EVSE", "connector"),
        unknown=UnknownLocation,
        open_enum_fields=("standard", "capabilities", "facilities", "parking_type", "parking_restrictions"),
    ),
    ModuleSpec("tariffs", Tariff, readers=CPO_DATA_READERS, broadcast_to=CPO_DATA_READERS),
    ModuleSpec(
        "sessions",
        Session,
        SessionPatch,
        audience_path=("cdr_token",),
        date_from_required=True,
        appended_lists=("charging_periods",),
    ),
    ModuleSpec("cdrs", CDR, owner_from="body", audience_path=("cdr_token",)),
    ModuleSpec(
        "tokens",
        Token,
        TokenPatch,
        id_field="uid",
        owner_roles=frozenset({Role.EMSP}),
        readers=frozenset({Role.CPO}),
        broadcast_to=frozenset({Role.CPO}),
        keyed_by_type=True,
        unknown=UnknownToken,
        open_enum_fields=("type",),
    ),
    ModuleSpec(
        "payments.terminals", Terminal, TerminalPatch, id_field="terminal_id", owner_roles=None, owner_from="sender"
    ),
    ModuleSpec(
        "payments.financial-advice-confirmations", FinancialAdviceConfirmation, owner_roles=None, owner_from="sender"
    ),
    # The issuer of the invoice owns the record: a CPO (direct billing) or an eMSP (reverse billing, self-billing).
    # Never broadcast (one counterparty's financial data); read by its issuer and the counterparty it went to.
    ModuleSpec(
        "invoicereconciliation",
        InvoiceReconciliationRecord,
        owner_roles=frozenset({Role.CPO, Role.EMSP}),
        owner_from="body",
        noun="invoice reconciliation record",
    ),
    # A CPO's Bookings: read by the CPO and the eMSP that requested each (named in its first request).
    ModuleSpec(
        "bookings",
        Booking,
        BookingPatch,
        audience_path=("booking_requests", 0, "booking_request"),
        noun="booking",
    ),
    # A CPO's bookable capacity: published like Locations (read by, and broadcast to, eMSP-like parties), its
    # Calendars addressed one segment deeper, a Calendar's change being its BookingLocation's change.
    ModuleSpec(
        "bookings.booking_locations",
        BookingLocation,
        BookingLocationPatch,
        readers=CPO_DATA_READERS,
        broadcast_to=CPO_DATA_READERS,
        sub_objects=((Calendar, CalendarPatch),),
        sub_id_fields=("id",),
        sub_lists=("calendars",),
        sub_nouns=("calendar",),
        noun="booking location",
    ),
)

SPECS: dict[str, ModuleSpec] = {spec.module: spec for spec in CATALOGUE}
"""By ModuleID (Payments' two kinds under ``payments.terminals`` and ``payments.financial-advice-confirmations``)."""

BROADCAST: dict[str, frozenset[Role]] = {spec.module: spec.broadcast_to for spec in CATALOGUE if spec.broadcast_to}
"""Rows whose pushes to the hub are broadcast, and the roles that receive them."""


def spec_of(module: str) -> ModuleSpec | None:
    return SPECS.get(module)


@functools.cache
def spec_for(op: Operation) -> ModuleSpec | None:
    """The row an operation addresses: the kind its first literal path segment names (``/terminals/...``,
    ``/{country_code}/{party_id}/booking_locations/...``), else its module's own row (None: no copy is kept)."""
    literal = next((s for s in op.suffix.split("/") if s and not s.startswith("{")), None)
    if literal is not None and f"{op.module}.{literal}" in SPECS:
        return SPECS[f"{op.module}.{literal}"]
    return SPECS.get(op.module)


__all__ = ("BROADCAST", "CATALOGUE", "CPO_DATA_READERS", "SPECS", "ModuleSpec", "spec_for", "spec_of")
