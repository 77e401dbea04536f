"""Commands through the hub: what the catalogue cannot say about the module (it keeps no copy of a command).

- ``POST {commands}/{command}`` (the CPO's Receiver): the body must be the object its ``{command}`` names (unknown
  command types, an open enum, pass through as sent but for the ``response_url``, which every command carries). It
  goes to the CPO named in ``OCPI-to-*``, or (open routing) the one its content names: the owner of the location
  (START_SESSION, RESERVE_NOW, UNLOCK_CONNECTOR) or of the session (STOP_SESSION) in the hub's copy, or the CPO the
  requester's RESERVE_NOW with that reservation id went to (CANCEL_RESERVATION). When the hub cannot route it, it
  answers as the CPO would: an unknown location is status 2003 with a REJECTED CommandResponse (the spec's own rule
  for a CPO), an unknown session a CommandResponse UNKNOWN_SESSION.
- The hub puts its own ``response_url`` in what it forwards (``hub/callbacks.py``) and relays the CPO's
  CommandResponse as it came. The CommandResult the CPO later POSTs to the hub's URL
  (``POST {commands}/{command}/{uid}``, the Sender) is acknowledged by the hub and delivered to the requester's own
  ``response_url`` through the outbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from reference_hub.faults import Fault
from reference_hub.hub.catalogue import SPECS
from reference_hub.hub.directory import roles_of
from reference_hub.hub.frontdoor import Exchange, FrontDoor, Handler, Reply, relay
from reference_hub.hub.objects import Requester
from reference_hub.hub.routing import split_party
from reference_hub.ocpi.codec import Codec
from reference_hub.ocpi.datetime import DateTime
from reference_hub.ocpi.errors import (
    ForwardTimeout,
    GenericClientError,
    InvalidOrMissingParameters,
    MalformedJson,
    NotFound,
    OcpiError,
)
from reference_hub.ocpi.headers import reply_headers
from reference_hub.ocpi.models import (
    CancelReservation,
    CommandResponse,
    CommandResponseType,
    CommandResult,
    DisplayText,
    ReserveNow,
    StartSession,
    StopSession,
    UnlockConnector,
)
from reference_hub.ocpi.versions import V221
from reference_hub.store import PartnerStatus
from reference_hub.store.callbacks import PendingCallback

COMMAND_MODELS: dict[str, type[Any]] = {
    "START_SESSION": StartSession,
    "STOP_SESSION": StopSession,
    "RESERVE_NOW": ReserveNow,
    "CANCEL_RESERVATION": CancelReservation,
    "UNLOCK_CONNECTOR": UnlockConnector,
}


@dataclass(frozen=True, slots=True)
class Command:
    """A decoded command request."""

    kind: str
    doc: dict[str, Any]
    """The body as sent (JSON object), to be forwarded with only ``response_url`` replaced."""
    model: Any | None
    """The typed command, for the known command types."""

    @property
    def response_url(self) -> str:
        return str(self.doc["response_url"])

    @property
    def subject(self) -> str | None:
        """What the command is about: the reservation, else the session, else the authorization reference (a PTP's
        START_SESSION: its FinancialAdviceConfirmation later names it), else the location."""
        for name in ("reservation_id", "session_id", "authorization_reference", "location_id"):
            value = self.doc.get(name)
            if isinstance(value, str):
                return value
        return None

    def with_response_url(self, url: str) -> bytes:
        return msgspec.json.encode({**self.doc, "response_url": url})


class Unroutable(Exception):
    """The hub answers the request itself, as the CPO would: ``status_code`` and the synchronous response
    (a CommandResponse, a ChargingProfileResponse)."""

    def __init__(self, status_code: int, response: Any, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.response = response
        self.message = message

    def reply(self) -> Reply:
        return Reply(self.response, status_code=self.status_code, message=self.message)


def decode_command(codec: Codec, kind: str, body: bytes) -> Command:
    """The command of type ``kind`` in ``body`` (2001 when it is not one)."""
    model = COMMAND_MODELS.get(kind)
    typed = None if model is None else codec.decode(body, model)
    try:
        doc = msgspec.json.decode(body)
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        raise MalformedJson(f"The request body is not valid JSON: {exc}") from exc
    except RecursionError as exc:
        raise MalformedJson("The request body is nested too deeply") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("response_url"), str):
        raise InvalidOrMissingParameters(f"a {kind} command must be a JSON object with a response_url")
    return Command(kind=kind, doc=doc, model=typed)


def _rejected(text: str, result: CommandResponseType = CommandResponseType.REJECTED) -> CommandResponse:
    return CommandResponse(result=result, timeout=0, message=[DisplayText(language="en", text=text[:512])])


async def command_receiver(door: FrontDoor, who: Requester, cmd: Command) -> str:
    """The CPO a command without ``OCPI-to-*`` goes to, from the hub's copy (raises :class:`Unroutable` or an
    OcpiError when the content names none)."""
    if cmd.kind == "CANCEL_RESERVATION":
        reservation = str(cmd.doc.get("reservation_id", ""))
        receiver = await door.callbacks.reservation_receiver(who, reservation)
        if receiver is None:
            raise GenericClientError(
                f"no RESERVE_NOW {reservation} of {who.party} went through this hub: name the CPO in OCPI-to-*"
            )
        return receiver
    session_id = cmd.doc.get("session_id")
    if cmd.kind == "STOP_SESSION" and isinstance(session_id, str):
        try:
            return (await door.objects.readable(SPECS["sessions"], who, session_id)).owner
        except NotFound:
            text = f"unknown session {session_id}"
            raise Unroutable(1000, _rejected(text, CommandResponseType.UNKNOWN_SESSION), text) from None
    location_id = cmd.doc.get("location_id")
    if isinstance(location_id, str):
        owners = await door.objects.owners_of(SPECS["locations"], location_id)
        if not owners:
            text = f"unknown location {location_id}"
            raise Unroutable(2003, _rejected(text), text)
        if len(owners) > 1:
            raise GenericClientError(
                f"location {location_id} exists for several CPOs ({', '.join(owners)}): name one in OCPI-to-*"
            )
        return owners[0]
    raise GenericClientError(f"a {cmd.kind} command names no location or session: name the CPO in OCPI-to-*")


async def post_command(door: FrontDoor, ex: Exchange) -> Reply:
    who, to = await door.requester(ex)
    kind = ex.params["command"]
    cmd = decode_command(door.codec, kind, ex.body)
    if to is None:
        try:
            to = await command_receiver(door, who, cmd)
        except Unroutable as exc:
            return exc.reply()
    receiver = await door.forwarder.receiver(to)
    if receiver.version == V221 and kind not in COMMAND_MODELS:  # 2.2.1's CommandType is closed
        text = f"{to} speaks OCPI 2.2.1, which has no command {kind}"
        return Reply(_rejected(text, CommandResponseType.NOT_SUPPORTED), message=text)
    issued = await door.callbacks.issue(
        module="commands",
        kind=kind,
        who=who,
        receiver=to,
        receiver_partner=receiver.partner_id,
        response_url=cmd.response_url,
        correlation_id=ex.correlation_id,
        subject=cmd.subject,
    )
    try:
        relayed = await door.forward(ex, who, to, cmd.with_response_url(issued.url))
    except ForwardTimeout:
        raise  # the CPO may still have the command: its URL stays open for the default time
    except OcpiError:
        await door.callbacks.closed(issued)
        raise
    expiry = getattr(cmd.model, "expiry_date", None)
    await door.callbacks.answered(
        issued, relayed.status, relayed.body, open_until=expiry if isinstance(expiry, DateTime) else None
    )
    return relay(relayed)


async def result_poster(door: FrontDoor, ex: Exchange, module: str, secret: str) -> tuple[Requester, PendingCallback]:
    """Who posts a result to one of the hub's URLs, and the record behind the URL (404 when there is none).

    Normally the party in ``OCPI-from-*``. A platform that sends no routing headers at all on this POST is taken to
    speak for the party the request went to, when it serves that party: the single-purpose URL already names the
    exchange, and refusing the result would only leave the requester waiting."""
    callback = await door.callbacks.peek(module, secret)
    routing = ex.routing
    bare = routing.from_country_code is None and routing.from_party_id is None and routing.to_country_code is None
    if bare and routing.to_party_id is None and ex.caller.partner_id is not None:
        partner = await door.directory.partner(ex.caller.partner_id)
        if partner is not None and partner.status is PartnerStatus.ACTIVE and callback.receiver in partner.party_keys:
            return Requester(
                partner=partner, party=callback.receiver, roles=roles_of(partner, callback.receiver)
            ), callback
    who, _to = await door.requester(ex)
    return who, callback


def acknowledged(door: FrontDoor, who: Requester, callback: PendingCallback) -> Reply:
    """The hub acknowledges a result on behalf of the party it is for: TO = the poster, FROM = the requester."""
    routing = None
    if Fault.NO_ROUTING_HEADERS not in door.faults:
        routing = reply_headers(*split_party(who.party), *split_party(callback.requester))
    return Reply(routing=routing)


async def post_result(door: FrontDoor, ex: Exchange) -> Reply:
    """A CommandResult POSTed to a response URL the hub handed out."""
    secret = ex.params["uid"]
    who, callback = await result_poster(door, ex, "commands", secret)
    result = door.codec.decode(ex.body, CommandResult)
    await door.callbacks.take_result("commands", secret, who, ex.body, result.result.value)
    return acknowledged(door, who, callback)


HANDLERS: dict[str, Handler] = {
    "commandsReceiverPostCommand": post_command,
    "commandsSenderPostCommandResult": post_result,
}

__all__ = ("COMMAND_MODELS", "HANDLERS", "Command", "Unroutable", "acknowledged", "decode_command", "result_poster")
