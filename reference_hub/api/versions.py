"""Versions module: the version list and each version's details, built from the module registry."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get

from reference_hub.api.context import hub_of
from reference_hub.api.registry import endpoints
from reference_hub.api.responses import OcpiResponse, ocpi_response
from reference_hub.faults import Fault
from reference_hub.ocpi.models import Endpoint, InterfaceRole, Version, VersionDetails
from reference_hub.ocpi.versions import SERVED, V221


class VersionsController(Controller):
    """Both endpoints accept token A, so a party can discover the hub before registering."""

    path = "/ocpi"

    @get("/versions", opt={"registration_ok": True}, sync_to_thread=False)
    def versions(self, request: Request[Any, Any, Any]) -> OcpiResponse:
        hub = hub_of(request)
        base = hub.settings.base_url
        data = [Version(version=v, url=f"{base}/ocpi/{v}") for v in SERVED]
        if hub.settings.has_fault(Fault.ONLY_221):
            data = [Version(version=V221, url=f"{base}/ocpi/{V221}")]
        return ocpi_response(request, hub, data)


def _details(version: str) -> Any:
    @get(f"/ocpi/{version}", opt={"registration_ok": True}, sync_to_thread=False, name=f"details-{version}")
    def details(request: Request[Any, Any, Any]) -> OcpiResponse:
        hub = hub_of(request)
        advertised = endpoints(hub.settings.base_url, version)
        if hub.settings.faults:
            advertised = _faulty_endpoints(hub.settings.faults, advertised)
        return ocpi_response(request, hub, VersionDetails(version=version, endpoints=advertised))

    return details


DETAILS = [_details(version) for version in SERVED]
"""``GET /ocpi/{version}`` for every version served."""


def _faulty_endpoints(faults: tuple[str, ...], advertised: list[Endpoint]) -> list[Endpoint]:
    """The endpoint list as the URL and listing fault switches change it."""
    if Fault.TRAILING_SLASH_ENDPOINTS in faults:
        advertised = [Endpoint(identifier=e.identifier, role=e.role, url=e.url + "/") for e in advertised]
    if Fault.MODULE_LISTED_TWICE in faults:
        first = next(e for e in advertised if e.identifier == "credentials")
        advertised = [*advertised, Endpoint(identifier="credentials", role=InterfaceRole.RECEIVER, url=first.url)]
    return advertised


__all__ = ("DETAILS", "VersionsController")
