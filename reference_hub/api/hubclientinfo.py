"""HubClientInfo module, Sender interface (the hub owns this data): who is reachable and in what state."""

from __future__ import annotations

from typing import Any

from litestar import Controller, HttpMethod, Request

from reference_hub.api.context import hub_of
from reference_hub.api.pagination import page_request, paginated_response
from reference_hub.api.responses import OcpiResponse
from reference_hub.api.routes import ocpi_route
from reference_hub.ocpi.models import ClientInfo, ConnectionStatus
from reference_hub.ocpi.versions import SERVED
from reference_hub.store import Partner, PartnerStatus

_STATUS = {
    PartnerStatus.ACTIVE: ConnectionStatus.CONNECTED,
    PartnerStatus.SUSPENDED: ConnectionStatus.SUSPENDED,
}


def client_info(partner: Partner) -> ClientInfo:
    """A partner's first party as a ClientInfo (a platform serving several parties reports its first)."""
    role = partner.roles[0]
    return ClientInfo(
        party_id=role.party_id,
        country_code=role.country_code,
        role=role.role,
        status=ConnectionStatus.OFFLINE if partner.offline else _STATUS[partner.status],
        last_updated=partner.updated,
    )


def hubclientinfo_sender(version: str) -> type[Controller]:
    """HubClientInfo Sender of one OCPI version: GET list, paginated, filtered on last_updated (ClientInfo is the
    same object in 2.2.1 and 2.3.0)."""

    class HubClientInfoSender(Controller):
        path = f"/ocpi/{version}/sender/hubclientinfo"

        @ocpi_route(HttpMethod.GET)
        async def get_list(self, request: Request[Any, Any, Any]) -> OcpiResponse:
            hub = hub_of(request)
            page = page_request(request, hub)
            result = await hub.store.list_partners(
                statuses=tuple(_STATUS),
                date_from=page.date_from,
                date_to=page.date_to,
                offset=page.offset,
                limit=page.limit,
            )
            items = [client_info(p) for p in result.items]
            return paginated_response(request, hub, page, items, result.total)

    HubClientInfoSender.__name__ = HubClientInfoSender.__qualname__ = f"HubClientInfoSender{version.replace('.', '')}"
    return HubClientInfoSender


CONTROLLERS: dict[str, type[Controller]] = {version: hubclientinfo_sender(version) for version in SERVED}

__all__ = ("CONTROLLERS", "client_info", "hubclientinfo_sender")
