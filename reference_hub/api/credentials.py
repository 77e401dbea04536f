"""Credentials module (configuration module: no routing headers)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
from litestar import Controller, HttpMethod, Request

from reference_hub.api.auth import caller_of
from reference_hub.api.body import read_body
from reference_hub.api.context import HubContext, hub_of
from reference_hub.api.responses import OcpiResponse, ocpi_response
from reference_hub.api.routes import ocpi_route
from reference_hub.faults import Fault
from reference_hub.hub.auth import Caller
from reference_hub.hub.credentials import credentials_from_221, ensure_registered, ensure_unregistered
from reference_hub.hub.ratelimit import answer_weight
from reference_hub.ocpi import models_221
from reference_hub.ocpi.codec import Pieces
from reference_hub.ocpi.errors import InvalidOrMissingParameters
from reference_hub.ocpi.models import Credentials
from reference_hub.ocpi.versions import SERVED, V221

_KNOWN_FIELDS = frozenset(f.name for f in msgspec.structs.fields(Credentials))


async def _body(request: Request[Any, Any, Any], hub: HubContext, version: str) -> Credentials:
    """The caller's Credentials, decoded and checked as its version defines them, in the hub's own shape."""
    raw = await read_body(request, hub, caller_of(request).token_hash)
    if version == V221:
        return credentials_from_221(hub.codec.decode(raw, models_221.Credentials))
    credentials = hub.codec.decode(raw, Credentials)
    if hub.settings.has_fault(Fault.REJECT_UNKNOWN_FIELDS):
        unknown = set(hub.codec.decode(raw, dict[str, Any])) - _KNOWN_FIELDS
        if unknown:
            raise InvalidOrMissingParameters(f"unknown fields {sorted(unknown)}")
    return credentials


def _framework_rejection(hub: HubContext, credentials: Credentials) -> OcpiResponse | None:
    """Fault VALIDATION_422: refuse an absent optional ``website`` as a web framework's validation would (before the
    handler's own rules, the 405 ones included)."""
    missing = [i for i, role in enumerate(credentials.roles) if not role.business_details.website]
    if not missing:
        return None
    detail = [
        {"loc": ["body", "roles", i, "business_details", "website"], "msg": "field required", "type": "missing"}
        for i in missing
    ]
    return OcpiResponse(422, hub.codec.encode({"detail": detail}), [])


async def _handshake(
    request: Request[Any, Any, Any], version: str, allowed: Callable[[Caller], None], action: str
) -> OcpiResponse:
    """POST (``register``) and PUT (``update``): whether the caller may use the method is decided before the body is
    read (the 405 rule does not depend on it), unless a framework that validates bodies first is imitated."""
    hub = hub_of(request)
    caller = caller_of(request)
    if hub.settings.has_fault(Fault.VALIDATION_422):
        credentials = await _body(request, hub, version)
        if (rejection := _framework_rejection(hub, credentials)) is not None:
            return rejection
        allowed(caller)
    else:
        allowed(caller)
        credentials = await _body(request, hub, version)
    handshake = hub.registrar.register if action == "register" else hub.registrar.update
    data = await handshake(caller, credentials, version, encode=hub.codec.encode)
    _charge(hub, caller, data)
    return ocpi_response(request, hub, data)  # pieces of JSON the envelope joins (``ocpi.codec.Pieces``)


def _charge(hub: HubContext, caller: Caller, data: Pieces) -> None:
    """A Credentials answer lists every party reachable through the hub (about 10 MB with 100,000): the platform's
    rate budget is charged for its size (``hub/ratelimit.answer_weight``). A registration's caller has no budget yet,
    and takes its token A once."""
    if caller.partner_id is not None:
        hub.pace.charge(caller.partner_id, answer_weight(sum(len(piece) for piece in data)))


def credentials_controller(version: str) -> type[Controller]:
    """The credentials module of one OCPI version: GET / POST (register) / PUT (update, rotate, or move the party to
    this version) / DELETE (unregister)."""

    class CredentialsController(Controller):
        path = f"/ocpi/{version}/credentials"
        opt = {"registration_ok": True}

        @ocpi_route(HttpMethod.GET)
        async def get_credentials(self, request: Request[Any, Any, Any]) -> OcpiResponse:
            hub = hub_of(request)
            caller = caller_of(request)
            ensure_registered(caller)
            data = await hub.registrar.hub_credentials_json(
                caller.token, hub.codec.encode, exclude=caller.partner_id, version=version
            )
            _charge(hub, caller, data)
            return ocpi_response(request, hub, data)

        @ocpi_route(HttpMethod.POST, status_code=200)
        async def register(self, request: Request[Any, Any, Any]) -> OcpiResponse:
            return await _handshake(request, version, ensure_unregistered, "register")

        @ocpi_route(HttpMethod.PUT)
        async def update(self, request: Request[Any, Any, Any]) -> OcpiResponse:
            return await _handshake(request, version, ensure_registered, "update")

        @ocpi_route(HttpMethod.DELETE, status_code=200)
        async def unregister(self, request: Request[Any, Any, Any]) -> OcpiResponse:
            hub = hub_of(request)
            await hub.registrar.unregister(caller_of(request))
            return ocpi_response(request, hub)

    CredentialsController.__name__ = CredentialsController.__qualname__ = f"Credentials{version.replace('.', '')}"
    return CredentialsController


CONTROLLERS: dict[str, type[Controller]] = {version: credentials_controller(version) for version in SERVED}

__all__ = ("CONTROLLERS", "credentials_controller")
