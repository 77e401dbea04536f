"""Versions module: the version list and the 2.3.0 details, built from the module registry."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get

from reference_hub import OCPI_VERSION
from reference_hub.api.context import hub_of
from reference_hub.api.registry import endpoints
from reference_hub.api.responses import OcpiResponse, ocpi_response
from reference_hub.faults import Fault
from reference_hub.ocpi.models import Endpoint, InterfaceRole, Version, VersionDetails


class VersionsController(Controller):
    """Both endpoints accept token A, so a party can discover the hub before registering."""

    path = "/ocpi"

    @get("/versions", opt={"registration_ok": True}, sync_to_thread=False)
    def versions(self, request: Request[Any, Any, Any]) -> OcpiResponse:
        hub = hub_of(request)
        data = [Version(version=OCPI_VERSION, url=f"{hub.settings.base_url}/ocpi/{OCPI_VERSION}")]
        if hub.settings.has_fault(Fault.ONLY_221):
            data = [Version(version="2.2.1", url=f"{hub.settings.base_url}/ocpi/2.2.1")]
        return ocpi_response(request, hub, data)

    @get(f"/{OCPI_VERSION}", opt={"registration_ok": True}, sync_to_thread=False)
    def details(self, request: Request[Any, Any, Any]) -> OcpiResponse:
        hub = hub_of(request)
        advertised = endpoints(hub.settings.base_url)
        if hub.settings.faults:
            advertised = _faulty_endpoints(hub.settings.faults, advertised)
        data = VersionDetails(version=OCPI_VERSION, endpoints=advertised)
        return ocpi_response(request, hub, data)


def _faulty_endpoints(faults: tuple[str, ...], advertised: list[Endpoint]) -> list[Endpoint]:
    """The endpoint list as the URL and listing fault switches change it."""
    if Fault.TRAILING_SLASH_ENDPOINTS in faults:
        advertised = [Endpoint(identifier=e.identifier, role=e.role, url=e.url + "/") for e in advertised]
    if Fault.MODULE_LISTED_TWICE in faults:
        first = next(e for e in advertised if e.identifier == "credentials")
        advertised = [*advertised, Endpoint(identifier="credentials", role=InterfaceRole.RECEIVER, url=first.url)]
    return advertised


__all__ = ("VersionsController",)
