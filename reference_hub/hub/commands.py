"""Commands through the hub: what CRUD cannot say about the module.

- The body must be the object its ``{command}`` names (unknown command types, an open enum, pass through as sent
  but for the ``response_url``, which every command carries).
- Without ``OCPI-to-*`` the content names the CPO (open routing): the owner of the location (START_SESSION,
  RESERVE_NOW, UNLOCK_CONNECTOR) or of the session (STOP_SESSION) in the hub's copy, or the CPO the requester's
  RESERVE_NOW with that reservation id went to (CANCEL_RESERVATION).
- When the hub cannot route it, it answers as the CPO would: an unknown location is status 2003 with a REJECTED
  CommandResponse (the spec's own rule for a CPO), an unknown session a CommandResponse UNKNOWN_SESSION.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from reference_hub.hub.callbacks import Callbacks
from reference_hub.hub.objects import KINDS, Objects, Requester, object_key
from reference_hub.ocpi.codec import Codec
from reference_hub.ocpi.errors import GenericClientError, InvalidOrMissingParameters, MalformedJson, NotFound
from reference_hub.ocpi.models import (
    CancelReservation,
    CommandResponse,
    CommandResponseType,
    DisplayText,
    ReserveNow,
    StartSession,
    StopSession,
    UnlockConnector,
)
from reference_hub.store import Store

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


async def command_receiver(store: Store, objects: Objects, callbacks: Callbacks, who: Requester, cmd: Command) -> str:
    """The CPO a command without ``OCPI-to-*`` goes to, from the hub's copy (raises :class:`Unroutable` or an
    OcpiError when the content names none)."""
    if cmd.kind == "CANCEL_RESERVATION":
        reservation = str(cmd.doc.get("reservation_id", ""))
        receiver = await callbacks.reservation_receiver(who, reservation)
        if receiver is None:
            raise GenericClientError(
                f"no RESERVE_NOW {reservation} of {who.party} went through this hub: name the CPO in OCPI-to-*"
            )
        return receiver
    session_id = cmd.doc.get("session_id")
    if cmd.kind == "STOP_SESSION" and isinstance(session_id, str):
        try:
            return (await objects.session_for_preferences(who, session_id, None)).owner
        except NotFound:
            text = f"unknown session {session_id}"
            raise Unroutable(1000, _rejected(text, CommandResponseType.UNKNOWN_SESSION), text) from None
    location_id = cmd.doc.get("location_id")
    if isinstance(location_id, str):
        found = await store.find_objects("locations", object_key(KINDS["locations"], location_id), limit=2)
        if not found:
            text = f"unknown location {location_id}"
            raise Unroutable(2003, _rejected(text), text)
        if len(found) > 1:
            owners = ", ".join(o.owner for o in found)
            raise GenericClientError(
                f"location {location_id} exists for several CPOs ({owners}): name one in OCPI-to-*"
            )
        return found[0].owner
    raise GenericClientError(f"a {cmd.kind} command names no location or session: name the CPO in OCPI-to-*")


__all__ = ("COMMAND_MODELS", "Command", "Unroutable", "command_receiver", "decode_command")
