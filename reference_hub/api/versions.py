"""Versions module: the version list and each version's details, built from the module registry."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, get

from reference_hub.api.context import hub_of
from reference_hub.api.registry import endpoints
from reference_hub.api.responses import OcpiResponse, ocpi_response
from reference_hub.faults import Fault
from reference_hub.ocpi.models import Endpoint, InterfaceRole, Version, VersionDetails
from reference_hub.ocpi.versions import SERVED, V221

_ENCODED: dict[tuple[str, str], msgspec.Raw] = {}
"""The ``data`` of each answer, encoded once per base URL (and version): it changes only with the settings, and
building and encoding it on each request was most of what a versions GET costs the hub beyond authenticating (these
two GETs are what a party, and the token-validation benchmark, call most). Not used under a fault switch."""


def _encoded(key: tuple[str, str], build: Any) -> msgspec.Raw:
    raw = _ENCODED.get(key)
    if raw is None:
        raw = _ENCODED[key] = msgspec.Raw(msgspec.json.encode(build()))
    return raw


class VersionsController(Controller):
    """Both endpoints accept token A, so a party can discover the hub before registering."""

    path = "/ocpi"

    @get("/versions", opt={"registration_ok": True}, sync_to_thread=False)
    def versions(self, request: Request[Any, Any, Any]) -> OcpiResponse:
        hub = hub_of(request)
        base = hub.settings.base_url
        if not hub.settings.faults:
            return ocpi_response(request, hub, _encoded((base, ""), lambda: _versions(base)))
        data = _versions(base)
        if hub.settings.has_fault(Fault.ONLY_221):
            data = [Version(version=V221, url=f"{base}/ocpi/{V221}")]
        return ocpi_response(request, hub, data)


def _versions(base: str) -> list[Version]:
    return [Version(version=v, url=f"{base}/ocpi/{v}") for v in SERVED]


def _details(version: str) -> Any:
    @get(f"/ocpi/{version}", opt={"registration_ok": True}, sync_to_thread=False, name=f"details-{version}")
    def details(request: Request[Any, Any, Any]) -> OcpiResponse:
        hub = hub_of(request)
        base = hub.settings.base_url
        if not hub.settings.faults:
            built = _encoded(
                (base, version), lambda: VersionDetails(version=version, endpoints=endpoints(base, version))
            )
            return ocpi_response(request, hub, built)
        advertised = _faulty_endpoints(hub.settings.faults, endpoints(base, version))
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
