"""Spec anchors used in tags and findings, and how to show them to a person.

An anchor is ``<asciidoc file stem>.<section>`` of the OCPI sources of the version under test (tag ``v2.3.0`` or
``2.2.1``; the files and sections the harness cites have the same names in both), e.g.
``transport_and_format.pagination``. Feature files tag scenarios with ``@spec.<anchor>``; checks
name the anchor they enforce. The titles below are our own short names for those sections.
"""

from __future__ import annotations

from conformance import versions

__all__ = ("SPEC_SECTIONS", "describe")

SPEC_SECTIONS: dict[str, str] = {
    "transport_and_format.authorization": "Transport and format: Authorization header",
    "transport_and_format.unique_message_ids": "Transport and format: unique message IDs",
    "transport_and_format.response_format": "Transport and format: response format (envelope)",
    "transport_and_format.pagination": "Transport and format: GET and pagination",
    "transport_and_format.unknown_fields": "Transport and format: non-specified JSON fields",
    "transport_and_format.message_routing": "Transport and format: message routing headers",
    "transport_and_format.json": "Transport and format: JSON bodies and Content-Type",
    "status_codes.http": "Status codes: HTTP status codes",
    "status_codes.ocpi": "Status codes: OCPI status codes",
    "types.datetime": "Types: DateTime",
    "types.open_enums": "Types: OpenEnum (listed values, others tolerated)",
    "version_information_endpoint.versions": "Versions module: version information endpoint",
    "version_information_endpoint.details": "Versions module: version details endpoint",
    "credentials.registration": "Credentials module: registration (POST)",
    "credentials.get": "Credentials module: GET",
    "credentials.update": "Credentials module: update and token rotation (PUT)",
    "credentials.unregister": "Credentials module: unregistration (DELETE)",
    "credentials.errors": "Credentials module: HTTP 405 rules",
    "credentials.object": "Credentials module: Credentials object",
    "mod_hub_client_info.sender": "HubClientInfo module: Sender interface",
    "mod_hub_client_info.receiver": "HubClientInfo module: Receiver interface (the hub's pushes)",
    "transport_and_format.client_owned_objects": "Transport and format: client owned object push (PUT, PATCH)",
    "mod_locations.receiver": "Locations module: Receiver interface",
    "mod_locations.sender": "Locations module: Sender interface",
    "mod_sessions.receiver": "Sessions module: Receiver interface",
    "mod_cdrs.receiver": "CDRs module: Receiver interface",
    "mod_tariffs.receiver": "Tariffs module: Receiver interface",
    "mod_tokens.receiver": "Tokens module: Receiver interface",
    "mod_tokens.sender": "Tokens module: Sender interface (incl. real-time authorization)",
    "mod_commands.receiver": "Commands module: Receiver interface and the asynchronous CommandResult",
    "mod_chargingprofiles.receiver": "ChargingProfiles module: Receiver interface and the asynchronous results",
    "mod_invoice_reconciliation.receiver": "Invoice Reconciliation module (2.3.0 edition 2): Receiver interface",
    "mod_invoice_reconciliation.sender": "Invoice Reconciliation module (2.3.0 edition 2): Sender interface",
    "mod_bookings.receiver": "Bookings module (1.1): Receiver interface (eMSP)",
    "mod_bookings.sender": "Bookings module (1.1): Sender interface (CPO) and BookingRequests",
    "openapi": "the project's machine-readable description of the version (openapi.yaml, openapi-2.2.1.yaml)",
}


def describe(anchor: str) -> str:
    """``OCPI <version under test> — <title> [anchor]`` for a known anchor; the anchor itself otherwise."""
    title = SPEC_SECTIONS.get(anchor)
    return f"OCPI {versions.current()} — {title} [{anchor}]" if title else anchor
