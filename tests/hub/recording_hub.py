"""An in-process hub for rule-by-rule tests of routing and module rules: the real services of one hub process (front
door, catalogue, generic engine, module files, SQLite in memory), parties registered straight into the store, and a
recording stand-in for the outbound HTTP client (a mock, at the unit level: nothing is sent; each call is recorded
and answered with what the test set, by default an OCPI 1000).

End-to-end tests (``tests/e2e``) prove the same paths over real HTTP with real party processes; these prove each
rule on its own, in milliseconds.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote

import msgspec

from reference_hub.hub.auth import Caller, CallerKind
from reference_hub.hub.client import Answer, Outcome
from reference_hub.hub.frontdoor import Exchange, Reply
from reference_hub.hub.services import HubContext, build_context
from reference_hub.hub.tokens import hash_token
from reference_hub.ocpi.datetime import now
from reference_hub.ocpi.errors import OcpiError
from reference_hub.ocpi.headers import RoutingHeaders
from reference_hub.ocpi.models import BusinessDetails, CredentialsRole, Endpoint, InterfaceRole, Role
from reference_hub.ocpi.operations import OPERATIONS
from reference_hub.ocpi.versions import V230
from reference_hub.settings import Settings
from reference_hub.store import Partner, PartnerStatus
from reference_hub.store.outbox import Delivery, DeliveryState

OPS = {op.operation_id: op for op in OPERATIONS}
HUB = ("NL", "HUB")
FUNCTIONAL = ("locations", "tariffs", "sessions", "cdrs", "tokens", "invoicereconciliation", "bookings")


@dataclass(frozen=True)
class Call:
    """One request the hub made to a party (what the recording stand-in received)."""

    method: str
    url: str
    headers: dict[str, str]
    body: Any


@dataclass
class RecordingClient:
    """Stand-in for ``hub/client.OutboundClient`` (a mock): records each call and answers from ``answers``."""

    deadline: float = 5.0
    calls: list[Call] = field(default_factory=list)
    answers: list[tuple[str, str, int, Any]] = field(default_factory=list)
    """``(method, URL prefix, HTTP status, OCPI body)``, the first match answers."""

    async def call(
        self,
        method: str,
        url: str,
        token: str | None = None,
        headers: Sequence[tuple[str, str]] = (),
        body: bytes | None = None,
        *,
        caller: str | None = None,
        sender: str | None = None,
    ) -> Answer:
        self.calls.append(
            Call(method, url, {k.lower(): v for k, v in headers}, None if body is None else msgspec.json.decode(body))
        )
        for answer_method, prefix, status, doc in self.answers:
            if answer_method == method and url.startswith(prefix):
                return Answer(Outcome.OK, status, [], msgspec.json.encode(doc))
        return Answer(Outcome.OK, 200, [], msgspec.json.encode({"status_code": 1000, "timestamp": now().to_ocpi()}))

    def answer(self, method: str, prefix: str, doc: Any, status: int = 200) -> None:
        self.answers.append((method, prefix, status, doc))

    def to(self, party: Platform, method: str | None = None) -> list[Call]:
        """The calls that went to ``party``'s platform."""
        return [c for c in self.calls if c.url.startswith(party.base) and (method is None or c.method == method)]


@dataclass(frozen=True)
class Platform:
    """A registered platform serving one party."""

    cc: str
    pid: str
    role: Role
    partner_id: str
    token: str
    base: str
    """Its OCPI 2.3.0 base URL; its endpoints are ``{base}/{sender|receiver}/{module}``."""

    @property
    def key(self) -> str:
        return f"{self.cc}/{self.pid}"


@dataclass(frozen=True)
class Result:
    """The hub's answer to one request: its OCPI status, HTTP status, message and ``data`` (decoded)."""

    status_code: int
    http_status: int
    message: str | None = None
    data: Any = None
    total: int | None = None
    """``X-Total-Count`` of a page."""
    relayed: bool = False
    """The answer is a party's own, relayed."""

    @property
    def ok(self) -> bool:
        return self.status_code == 1000 and self.http_status < 300


@dataclass
class World:
    ctx: HubContext
    client: RecordingClient

    async def platform(
        self, cc: str, pid: str, role: Role, *, modules: Iterable[str] = FUNCTIONAL, senders_only: Iterable[str] = ()
    ) -> Platform:
        """Register a platform with Sender and Receiver endpoints for ``modules`` (only a Sender for those in
        ``senders_only``)."""
        token = secrets.token_urlsafe(16)
        base = f"http://{pid.lower()}.{cc.lower()}.test/ocpi/2.3.0"
        stamp = now()
        partner = Partner(
            partner_id=f"{cc}-{pid}",
            status=PartnerStatus.ACTIVE,
            token_hash=hash_token(token),
            outgoing_token=self.ctx.registrar.vault.encrypt(f"hub-{token}"),
            versions_url=f"{base}/versions",
            version="2.3.0",
            endpoints=[
                Endpoint(identifier=m, role=InterfaceRole(i), url=f"{base}/{i.lower()}/{m}")
                for m in modules
                for i in ("SENDER", "RECEIVER")
                if i == "SENDER" or m not in senders_only
            ],
            roles=[
                CredentialsRole(role=role, business_details=BusinessDetails(name=pid), party_id=pid, country_code=cc)
            ],
            created=stamp,
            updated=stamp,
        )
        await self.ctx.store.insert_partner(partner, consume_invitation=None)
        return Platform(cc, pid, role, partner.partner_id, token, base)

    async def call(
        self,
        who: Platform,
        operation_id: str,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        *,
        to: Platform | tuple[str, str] | None = HUB,
        query: str = "",
        raw: bytes | None = None,
    ) -> Result:
        """One request of ``who`` (``OCPI-from-*`` = its party) through the front door, as the HTTP layer makes it."""
        op = OPS[operation_id]
        params = dict(params or {})
        path = op.path
        for name, value in params.items():
            path = path.replace("{" + name + "}", quote(value, safe=""))
        target = (to.cc, to.pid) if isinstance(to, Platform) else to
        routing = RoutingHeaders(
            to_country_code=None if target is None else target[0],
            to_party_id=None if target is None else target[1],
            from_country_code=who.cc,
            from_party_id=who.pid,
        )
        exchange = Exchange(
            version=V230,
            caller=Caller(
                kind=CallerKind.PARTNER,
                token=who.token,
                token_hash=hash_token(who.token),
                raw_token=False,
                partner_id=who.partner_id,
            ),
            op=op,
            params=params,
            raw_path=path.encode(),
            query=query,
            query_params=dict(parse_qsl(query)),
            routing=routing,
            body=raw if raw is not None else (b"" if body is None else msgspec.json.encode(body)),
            request_id=secrets.token_hex(8),
            correlation_id=secrets.token_hex(8),
        )
        try:
            reply = await self.ctx.frontdoor.handle(exchange)
        except OcpiError as exc:
            return Result(exc.status_code, exc.http_status, exc.message)
        return _result(reply)

    async def deliveries(self) -> list[Delivery]:
        """What the hub owes to parties (the outbox; no worker runs here, so nothing is sent)."""
        return await self.ctx.store.list_deliveries(receiver=None, state=DeliveryState.PENDING, limit=1000)


def _result(reply: Reply) -> Result:
    if reply.relayed is not None:
        doc = msgspec.json.decode(reply.relayed.body)
        return Result(
            doc["status_code"], reply.relayed.status, doc.get("status_message"), doc.get("data"), relayed=True
        )
    if reply.page is not None:
        _page, found = reply.page
        items = [msgspec.json.decode(item) for item in found.items]
        return Result(reply.status_code, reply.http_status, reply.message, items, total=found.total)
    data = reply.data
    if isinstance(data, msgspec.Raw):
        data = msgspec.json.decode(data)
    elif data is not msgspec.UNSET:
        data = msgspec.to_builtins(data)
    else:
        data = None
    return Result(reply.status_code, reply.http_status, reply.message, data)


def run(scenario: Callable[[World], Awaitable[None]], *faults: str) -> None:
    """Run ``scenario`` against a fresh in-process hub with these fault switches on."""

    async def main() -> None:
        settings = Settings(store="sqlite://:memory:", faults=tuple(faults))
        async with build_context(settings) as ctx:
            client = RecordingClient()
            ctx.forwarder.client = client  # type: ignore[assignment]
            await scenario(World(ctx, client))

    asyncio.run(main())


__all__ = ("HUB", "Call", "Platform", "RecordingClient", "Result", "World", "run")
