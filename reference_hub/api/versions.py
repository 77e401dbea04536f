"""Versions module: the version list and each version's details, built from the module registry."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, HttpMethod, Request

from reference_hub.api.context import HubContext, hub_of
from reference_hub.api.registry import endpoints
from reference_hub.api.responses import OcpiResponse, ocpi_response
from reference_hub.api.routes import ocpi_route
from reference_hub.faults import Fault
from reference_hub.ocpi.models import Endpoint, InterfaceRole, Version, VersionDetails
from reference_hub.ocpi.versions import SERVED, V221


def _kept(hub: HubContext, key: str, data: Any) -> msgspec.Raw:
    """Encode ``data`` and keep it in ``HubContext.answers``: the versions list and details depend on the settings
    alone, and building and encoding them on each request was most of what a versions GET costs the hub beyond
    authenticating (these two GETs are what a party, and the token-validation benchmark, call most). Not used under a
    fault switch."""
    raw = hub.answers[key] = msgspec.Raw(msgspec.json.encode(data))
    return raw


class VersionsController(Controller):
    """Both endpoints accept token A, so a party can discover the hub before registering."""

    path = "/ocpi"

    @ocpi_route(HttpMethod.GET, "/versions", opt={"registration_ok": True}, sync_to_thread=False)
    def versions(self, request: Request[Any, Any, Any]) -> OcpiResponse:
        hub = hub_of(request)
        if not hub.settings.faults:
            raw = hub.answers.get("versions")
            if raw is None:
                raw = _kept(hub, "versions", _versions(hub.settings.base_url))
            return ocpi_response(request, hub, raw)
        base = hub.settings.base_url
        data = _versions(base)
        if hub.settings.has_fault(Fault.ONLY_221):
            data = [Version(version=V221, url=f"{base}/ocpi/{V221}")]
        return ocpi_response(request, hub, data)


def _versions(base: str) -> list[Version]:
    return [Version(version=v, url=f"{base}/ocpi/{v}") for v in SERVED]


def _details(version: str) -> Any:
    @ocpi_route(
        HttpMethod.GET,
        f"/ocpi/{version}",
        opt={"registration_ok": True},
        sync_to_thread=False,
        name=f"details-{version}",
    )
    def details(request: Request[Any, Any, Any]) -> OcpiResponse:
        hub = hub_of(request)
        if not hub.settings.faults:
            raw = hub.answers.get(version)
            if raw is None:
                endpoints_ = endpoints(hub.settings.base_url, version)
                raw = _kept(hub, version, VersionDetails(version=version, endpoints=endpoints_))
            return ocpi_response(request, hub, raw)
        advertised = _faulty_endpoints(hub.settings.faults, endpoints(hub.settings.base_url, version))
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
