"""Versions module: the version list and the 2.3.0 details, built from the module registry."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get

from reference_hub import OCPI_VERSION
from reference_hub.api.context import hub_of
from reference_hub.api.registry import endpoints
from reference_hub.api.responses import OcpiResponse, ocpi_response
from reference_hub.ocpi.models import Version, VersionDetails


class VersionsController(Controller):
    """Both endpoints accept token A, so a party can discover the hub before registering."""

    path = "/ocpi"

    @get("/versions", opt={"registration_ok": True}, sync_to_thread=False)
    def versions(self, request: Request[Any, Any, Any]) -> OcpiResponse:
        hub = hub_of(request)
        data = [Version(version=OCPI_VERSION, url=f"{hub.settings.base_url}/ocpi/{OCPI_VERSION}")]
        return ocpi_response(request, hub, data)

    @get(f"/{OCPI_VERSION}", opt={"registration_ok": True}, sync_to_thread=False)
    def details(self, request: Request[Any, Any, Any]) -> OcpiResponse:
        hub = hub_of(request)
        data = VersionDetails(version=OCPI_VERSION, endpoints=endpoints(hub.settings.base_url))
        return ocpi_response(request, hub, data)


__all__ = ("VersionsController",)
