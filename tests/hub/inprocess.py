"""The hub's services in-process, for unit tests of routing decisions and module rules (fixtures: conftest.py).

``hub`` builds every service of one hub process (``hub/services.build_context``) on SQLite ``:memory:``, with a
recording stand-in for the outbound HTTP client: nothing leaves the process, every call the hub would make to a party
is recorded (method, URL, headers as they would go out, body) and answered from a table the test sets. Parties are
registered straight in the store; an :class:`~reference_hub.hub.frontdoor.Exchange` is built for an operation id as
the HTTP layer builds one, and handed to the front door.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote
from uuid import uuid4

import msgspec

from reference_hub.hub.auth import Caller
from reference_hub.hub.client import Answer, Outcome
from reference_hub.hub.frontdoor import Exchange, Reply
from reference_hub.hub.services import HubContext
from reference_hub.hub.tokens import authorization_header, hash_token
from reference_hub.ocpi.datetime import DateTime, now
from reference_hub.ocpi.errors import OcpiError
from reference_hub.ocpi.headers import RoutingHeaders
from reference_hub.ocpi.models import BusinessDetails, CredentialsRole, Endpoint, InterfaceRole, Role
from reference_hub.ocpi.operations import OPERATIONS
from reference_hub.ocpi.versions import V230
from reference_hub.store import Partner, PartnerStatus
from reference_hub.store.outbox import Delivery, DeliveryState

HUB_BASE = "http://hub.test"
"""The hub's public URL in these tests (``public_url``): what it writes into the URLs it hands out."""
V = "/ocpi/2.3.0"
OPS = {op.operation_id: op for op in OPERATIONS}

# --- the outbound side: a recording stand-in for hub/client.OutboundClient --------------------------------------------


def ocpi(
    data: Any = None,
    status_code: int = 1000,
    *,
    message: str | None = None,
    http: int = 200,
    headers: Sequence[tuple[str, str]] = (),
) -> Answer:
    """A party's OCPI answer (its envelope), as the real client would return it."""
    envelope: dict[str, Any] = {"status_code": status_code, "timestamp": "2026-01-01T00:00:00Z"}
    if data is not None:
        envelope["data"] = data
    if message is not None:
        envelope["status_message"] = message
    return Answer(Outcome.OK, http, [("Content-Type", "application/json"), *headers], msgspec.json.encode(envelope))


TIMEOUT = Answer(Outcome.TIMEOUT, detail="stand-in: no complete answer within the deadline")
"""The party took longer than the hub's deadline."""
REFUSED_CONNECTION = Answer(Outcome.UNREACHABLE, detail="stand-in: ConnectError: connection refused")
"""Nothing listens at the party's address."""


@dataclass(frozen=True)
class Call:
    """One call the hub made to a party."""

    method: str
    url: str
    headers: list[tuple[str, str]]
    """As they would go out, ``Authorization`` included (added the way the real client adds it)."""
    body: bytes | None
    sender: str | None
    """The platform a forward was made for (the real client bounds calls per sender)."""

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def json(self) -> Any:
        return None if self.body is None else msgspec.json.decode(self.body)


@dataclass
class _Rule:
    method: str | None
    prefix: str
    answers: list[Answer]


class StandInClient:
    """Stands in for ``OutboundClient`` (same ``call``): records every call and answers from the test's table.

    ``answer(method, url_prefix, *answers)`` sets what calls to URLs starting with the prefix get: the answers in
    turn, the last one again for every further call; the longest matching prefix wins, and of two rules for one
    prefix the later; a call nothing matches gets an OCPI success without data. ``hold(url_prefix)`` makes such calls
    wait until the returned event is set (``in_flight`` and ``peak`` count them per URL prefix held)."""

    def __init__(self, deadline: float = 10.0, max_answer: int = 1_048_576) -> None:
        self.deadline = deadline
        self.max_answer = max_answer
        self.calls: list[Call] = []
        self._rules: list[_Rule] = []
        self._holds: dict[str, asyncio.Event] = {}
        self.in_flight: dict[str, int] = {}
        self.peak: dict[str, int] = {}
        self.arrived = asyncio.Condition()

    def answer(self, method: str | None, prefix: str, *answers: Answer) -> None:
        assert answers, "give at least one answer"
        self._rules.insert(0, _Rule(method, prefix, list(answers)))

    def hold(self, prefix: str) -> asyncio.Event:
        event = self._holds[prefix] = asyncio.Event()
        return event

    def to(self, prefix: str, method: str | None = None) -> list[Call]:
        """The calls made to URLs under ``prefix`` (of ``method``), in order."""
        return [c for c in self.calls if c.url.startswith(prefix) and method in (None, c.method)]

    async def wait_for(self, predicate: Callable[[list[Call]], bool], timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout), self.arrived:
            await self.arrived.wait_for(lambda: predicate(self.calls))

    async def close(self) -> None:
        return None

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
        sent = list(headers)
        if token is not None:
            sent.append(("Authorization", authorization_header(token)))
        self.calls.append(Call(method, url, sent, body, sender))
        async with self.arrived:
            self.arrived.notify_all()
        held = next((p for p in sorted(self._holds, key=len, reverse=True) if url.startswith(p)), None)
        if held is not None:
            self.in_flight[held] = self.in_flight.get(held, 0) + 1
            self.peak[held] = max(self.peak.get(held, 0), self.in_flight[held])
            try:
                await self._holds[held].wait()
            finally:
                self.in_flight[held] -= 1
        matching = [r for r in self._rules if url.startswith(r.prefix) and r.method in (None, method)]
        if not matching:
            return ocpi()
        rule = max(matching, key=lambda r: len(r.prefix))
        return rule.answers.pop(0) if len(rule.answers) > 1 else rule.answers[0]


# --- parties registered straight in the store -------------------------------------------------------------------------

_S, _R = InterfaceRole.SENDER, InterfaceRole.RECEIVER
INTERFACES: dict[Role, tuple[tuple[str, InterfaceRole], ...]] = {
    Role.CPO: (
        ("locations", _S),
        ("tariffs", _S),
        ("sessions", _S),
        ("cdrs", _S),
        ("tokens", _R),
        ("commands", _R),
        ("chargingprofiles", _R),
        ("payments", _R),
        ("invoicereconciliation", _S),
        ("invoicereconciliation", _R),
        ("bookings", _S),
        ("hubclientinfo", _R),
    ),
    Role.EMSP: (
        ("locations", _R),
        ("tariffs", _R),
        ("sessions", _R),
        ("cdrs", _R),
        ("tokens", _S),
        ("commands", _S),
        ("chargingprofiles", _S),
        ("invoicereconciliation", _S),
        ("invoicereconciliation", _R),
        ("bookings", _R),
        ("hubclientinfo", _R),
    ),
    Role.NSP: (("locations", _R), ("tariffs", _R), ("hubclientinfo", _R)),
    Role.OTHER: (("locations", _R), ("tariffs", _R), ("payments", _S), ("commands", _S), ("hubclientinfo", _R)),
}
"""The module interfaces a party of each role implements, by default: Invoice Reconciliation both ways for a CPO and
an eMSP (either may issue), Bookings as the spec's typical roles have it (the CPO's Sender, the eMSP's Receiver)."""


@dataclass
class Party:
    """A platform registered at the hub, speaking for its first party."""

    partner: Partner
    token: str
    """Its token C (what it presents to the hub)."""
    outgoing: str
    """The token the hub presents to it."""
    base: str
    """Its OCPI 2.3.0 base URL; an interface's endpoint is ``{base}/{sender|receiver}/{module}``."""
    caller: Caller

    @property
    def cc(self) -> str:
        return self.partner.roles[0].country_code

    @property
    def pid(self) -> str:
        return self.partner.roles[0].party_id

    @property
    def key(self) -> str:
        return f"{self.cc}/{self.pid}"

    @property
    def partner_id(self) -> str:
        return self.partner.partner_id

    def url(self, interface: str, module: str, suffix: str = "") -> str:
        return f"{self.base}/{interface.lower()}/{module}{suffix}"


# --- what the front door answered -------------------------------------------------------------------------------------


@dataclass
class Answered:
    """The front door's answer to one exchange, as the HTTP layer would render it: an OCPI error raised, the hub's own
    envelope, a page, or a receiver's answer relayed."""

    http_status: int
    status_code: int
    data: Any
    message: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    reply: Reply | None = None
    error: OcpiError | None = None
    total: int | None = None
    """A page's ``X-Total-Count``."""

    @property
    def relayed(self) -> bool:
        return self.reply is not None and self.reply.relayed is not None

    @property
    def ok(self) -> bool:
        return self.status_code == 1000 and self.http_status < 300


# --- the hub in-process -----------------------------------------------------------------------------------------------


class Hub:
    """One hub's services (``ctx``) with the stand-in client, and the helpers the tests share."""

    def __init__(self, ctx: HubContext, client: StandInClient) -> None:
        self.ctx = ctx
        self.client = client
        self.settings = ctx.settings

    @property
    def key(self) -> tuple[str, str]:
        return self.settings.country_code, self.settings.party_id

    async def register(
        self,
        cc: str,
        pid: str,
        role: Role = Role.CPO,
        *more: tuple[str, str, Role],
        interfaces: Sequence[tuple[str, InterfaceRole]] | None = None,
        status: PartnerStatus = PartnerStatus.ACTIVE,
        offline: bool = False,
        raw_token: bool = False,
    ) -> Party:
        """A platform serving ``cc/pid`` in ``role`` (and ``more`` parties), implementing ``interfaces`` (default: its
        role's), stored as a completed registration would store it."""
        token, outgoing = f"token-c-{uuid4().hex}", f"token-b-{uuid4().hex}"
        base = f"https://{pid.lower()}.{cc.lower()}.party.test/ocpi/2.3.0"
        wanted = INTERFACES[role] if interfaces is None else interfaces
        roles = [
            CredentialsRole(role=r, business_details=BusinessDetails(name=f"{c}{p}"), party_id=p, country_code=c)
            for c, p, r in ((cc, pid, role), *more)
        ]
        stamp = now()
        partner = Partner(
            partner_id=f"{cc}-{pid}".upper(),
            status=status,
            token_hash=hash_token(token),
            outgoing_token=self.ctx.registrar.vault.encrypt(outgoing),
            versions_url=f"https://{pid.lower()}.{cc.lower()}.party.test/ocpi/versions",
            version="2.3.0",
            endpoints=[Endpoint(identifier=m, role=i, url=f"{base}/{i.value.lower()}/{m}") for m, i in wanted],
            roles=roles,
            raw_token_auth=raw_token,
            offline=offline,
            created=stamp,
            updated=stamp,
        )
        await self.ctx.store.insert_partner(partner, consume_invitation=None)
        self.ctx.directory.forget()
        self.ctx.auth.forget()
        caller = await self.ctx.auth.authenticate(authorization_header(token))  # as the HTTP layer's auth hook does
        assert caller is not None
        return Party(partner, token, outgoing, base, caller)

    async def refresh(self, party: Party) -> Party:
        """``party`` as the store holds it now."""
        stored = await self.ctx.store.get_partner(party.partner_id)
        assert stored is not None
        party.partner = stored
        return party

    def exchange(
        self,
        op_id: str,
        party: Party,
        *ids: str,
        to: Party | tuple[str, str] | str | None = "hub",
        body: Any = None,
        query: str = "",
        correlation_id: str | None = None,
        request_id: str | None = None,
        raw_path: bytes | None = None,
        speaking_for: tuple[str, str] | None = None,
        routing: RoutingHeaders | None = None,
    ) -> Exchange:
        """The exchange the HTTP layer would build for ``op_id`` from ``party``: path ids in the order the operation's
        path names them, ``OCPI-to-*`` = the hub (default), a party, or None (open routing); ``body`` as bytes (sent
        as they are) or anything msgspec encodes."""
        op = OPS[op_id]
        names = re.findall(r"\{(\w+)\}", op.path)
        assert len(names) == len(ids), f"{op_id} takes {names}"
        params = dict(zip(names, ids, strict=True))
        path = op.path
        for name, value in params.items():
            path = path.replace("{" + name + "}", quote(value, safe=""))
        if routing is None:
            cc, pid = speaking_for or (party.cc, party.pid)
            target: tuple[str, str] | None
            if to == "hub":
                target = self.key
            elif isinstance(to, Party):
                target = (to.cc, to.pid)
            else:
                target = to  # type: ignore[assignment]
            routing = RoutingHeaders(
                to_country_code=None if target is None else target[0],
                to_party_id=None if target is None else target[1],
                from_country_code=cc,
                from_party_id=pid,
            )
        raw = b"" if body is None else body if isinstance(body, bytes) else msgspec.json.encode(body)
        request_id = request_id or f"req-{uuid4().hex}"
        return Exchange(
            caller=party.caller,
            version=V230,
            op=op,
            params=params,
            raw_path=path.encode() if raw_path is None else raw_path,
            query=query,
            query_params=dict(parse_qsl(query, keep_blank_values=True)),
            routing=routing,
            body=raw,
            request_id=request_id,
            correlation_id=correlation_id or request_id,
        )

    async def handle(self, ex: Exchange) -> Answered:
        """The front door's answer, an OCPI error included (rendered by the HTTP layer in one place)."""
        try:
            reply = await self.ctx.frontdoor.handle(ex)
        except OcpiError as exc:
            return Answered(exc.http_status, exc.status_code, exc.data, exc.message, error=exc)
        if reply.relayed is not None:
            relayed = reply.relayed
            doc = msgspec.json.decode(relayed.body)
            return Answered(
                relayed.status,
                relayed.status_code,
                doc.get("data"),
                doc.get("status_message"),
                dict(relayed.headers),
                reply,
            )
        if reply.page is not None:
            _request, page = reply.page
            items = [msgspec.json.decode(bytes(item)) for item in page.items]
            return Answered(200, 1000, items, reply=reply, total=page.total)
        data = None if reply.data is msgspec.UNSET else msgspec.json.decode(self.ctx.codec.encode(reply.data))
        return Answered(reply.http_status, reply.status_code, data, reply.message, dict(reply.headers), reply)

    async def send(self, op_id: str, party: Party, *ids: str, **kw: Any) -> Answered:
        return await self.handle(self.exchange(op_id, party, *ids, **kw))

    # --- what the hub holds -------------------------------------------------------------------------------------

    async def stored(self, module: str, owner: str, key: str) -> Any:
        """The hub's copy of one object (decoded), or None."""
        found = await self.ctx.store.get_object(module, owner, key)
        return None if found is None else msgspec.json.decode(found.body)

    async def outbox(self, state: DeliveryState = DeliveryState.PENDING) -> list[Delivery]:
        """The outbox rows in that state, in the order they were planned."""
        return await self.ctx.store.list_deliveries(receiver=None, state=state, limit=1000)

    async def deliver(self) -> int:
        """One round of the delivery worker: send what is due (through the stand-in), wait for every send."""
        return await self.ctx.deliveries.deliver_due()

    async def plan(self, at: DateTime | None = None) -> int:
        """The worker's planning step alone: every announcement row due (as of ``at``, default now) swapped for its
        ClientInfo PUTs, none sent; how many PUTs."""
        return await self.ctx.deliveries.plan_announcements(1_000_000, most=1_000, at=at)


HubFactory = Callable[..., Awaitable[Hub]]


@dataclass
class World:
    """The parties most tests need: a CPO (NL/CPO), two eMSPs (DE/MSP, DE/OTH) and a payment terminal provider
    (NL/PTP, role OTHER: 2.3.0's Role has no PTP)."""

    hub: Hub
    cpo: Party
    msp: Party
    oth: Party
    ptp: Party


async def world_of(hub: Hub) -> World:
    return World(
        hub,
        await hub.register("NL", "CPO", Role.CPO),
        await hub.register("DE", "MSP", Role.EMSP),
        await hub.register("DE", "OTH", Role.EMSP),
        await hub.register("NL", "PTP", Role.OTHER),
    )


__all__ = (
    "HUB_BASE",
    "INTERFACES",
    "OPS",
    "REFUSED_CONNECTION",
    "TIMEOUT",
    "Answered",
    "Call",
    "Hub",
    "HubFactory",
    "Party",
    "StandInClient",
    "V",
    "ocpi",
)
