"""ChargingProfiles through the hub: what the catalogue cannot say about the module (it keeps no copy of a profile).

- GET (active profile) and DELETE carry the requester's ``response_url`` as a query parameter, PUT in its
  SetChargingProfile body; the hub replaces it with its own (``hub/callbacks.py``) and keeps the rest as sent.
- Without ``OCPI-to-*`` a request goes to the CPO that owns the session in the hub's copy (and that the requester may
  see); a session the hub does not know is answered as the CPO would, ChargingProfileResponse UNKNOWN_SESSION.
- The result each request expects: GET an ActiveChargingProfileResult, PUT a ChargingProfileResult, DELETE a
  ClearProfileResult; it is POSTed to the hub's URL (``{chargingprofiles}/{session_id}/result/{uid}``) and delivered
  to the requester through the outbox.
- Once a party's SetChargingProfile was ACCEPTED by the CPO (its ChargingProfileResult came back ACCEPTED through
  the hub), the CPO's later ActiveChargingProfile PUTs for that session go to that party (the last one to succeed),
  unless the CPO names a receiver in ``OCPI-to-*``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

import msgspec

from reference_hub.hub.catalogue import SPECS
from reference_hub.hub.frontdoor import Exchange, FrontDoor, Handler, Reply, relay
from reference_hub.hub.modules.commands import Unroutable, acknowledged, result_poster
from reference_hub.hub.objects import Requester
from reference_hub.ocpi.errors import (
    ForwardTimeout,
    GenericClientError,
    InvalidOrMissingParameters,
    NotFound,
    OcpiError,
)
from reference_hub.ocpi.models import (
    ActiveChargingProfile,
    ActiveChargingProfileResult,
    ChargingProfileResponse,
    ChargingProfileResponseType,
    ChargingProfileResult,
    ClearProfileResult,
    SetChargingProfile,
)

RESULT_MODELS: dict[str, type[Any]] = {
    "GET": ActiveChargingProfileResult,
    "PUT": ChargingProfileResult,
    "DELETE": ClearProfileResult,
}
"""The asynchronous result each Receiver method is answered with."""


def query_response_url(query: str, *, need_duration: bool) -> tuple[str, list[tuple[str, str]]]:
    """The ``response_url`` of a GET/DELETE query and all its parameters (2001 when a required one is missing)."""
    params = parse_qsl(query, keep_blank_values=True)
    found = dict(params)
    missing = [n for n in (("duration", "response_url") if need_duration else ("response_url",)) if not found.get(n)]
    if missing:
        raise InvalidOrMissingParameters(f"query parameter(s) {', '.join(missing)} required")
    if need_duration and not found["duration"].isdigit():
        raise InvalidOrMissingParameters("query parameter duration must be a whole number of seconds")
    return found["response_url"], params


def with_response_url(params: list[tuple[str, str]], url: str) -> str:
    """The query again, with the hub's ``response_url`` (percent-encoded) in place of the requester's."""
    return urlencode([(k, url if k == "response_url" else v) for k, v in params])


async def profile_receiver(door: FrontDoor, who: Requester, session_id: str) -> str:
    """The CPO of a session the requester may see in the hub's copy (:class:`Unroutable` when there is none)."""
    try:
        return (await door.objects.readable(SPECS["sessions"], who, session_id)).owner
    except NotFound:
        response = ChargingProfileResponse(result=ChargingProfileResponseType.UNKNOWN_SESSION, timeout=0)
        raise Unroutable(1000, response, f"unknown session {session_id}") from None


async def receiver(door: FrontDoor, ex: Exchange) -> Reply:
    """GET, PUT or DELETE on a session's profile: to its CPO, with the hub's response_url."""
    op = ex.op
    who, to = await door.requester(ex)
    session_id = ex.params["session_id"]
    body: bytes | None = None
    params: list[tuple[str, str]] = []
    if op.method == "PUT":
        body = ex.body
        response_url = door.codec.decode(body, SetChargingProfile).response_url
    else:
        response_url, params = query_response_url(ex.query, need_duration=op.method == "GET")
    if to is None:
        try:
            to = await profile_receiver(door, who, session_id)
        except Unroutable as exc:
            return exc.reply()
    partner = await door.forwarder.receiver(to)
    issued = await door.callbacks.issue(
        module="chargingprofiles",
        kind=op.method,
        who=who,
        receiver=to,
        receiver_partner=partner.partner_id,
        response_url=response_url,
        correlation_id=ex.correlation_id,
        subject=session_id,
    )
    query = None
    if body is not None:
        body = msgspec.json.encode({**msgspec.json.decode(body), "response_url": issued.url})
    else:
        query = with_response_url(params, issued.url)
    try:
        relayed = await door.forward(ex, who, to, body, query=query)
    except ForwardTimeout:
        raise
    except OcpiError:
        await door.callbacks.closed(issued)
        raise
    await door.callbacks.answered(issued, relayed.status, relayed.body)
    return relay(relayed)


async def post_result(door: FrontDoor, ex: Exchange) -> Reply:
    """A charging-profile result POSTed to a response URL the hub handed out."""
    secret = ex.params["uid"]
    who, callback = await result_poster(door, ex, "chargingprofiles", secret)
    result = door.codec.decode(ex.body, RESULT_MODELS[callback.kind])
    await door.callbacks.take_result("chargingprofiles", secret, who, ex.body, result.result.value)
    return acknowledged(door, who, callback)


async def put_active_profile(door: FrontDoor, ex: Exchange) -> Reply:
    """A CPO's updated ActiveChargingProfile: to the party named, else to the one that set a profile."""
    who, to = await door.requester(ex)
    door.codec.decode(ex.body, ActiveChargingProfile)
    if to is None:
        session_id = ex.params["session_id"]
        to = await door.callbacks.latest_setter(who.party, session_id)
        if to is None:
            raise GenericClientError(
                f"no party set a charging profile on session {session_id} of {who.party} through this hub:"
                " name the receiver in OCPI-to-*"
            )
    return relay(await door.forward(ex, who, to, ex.body))


HANDLERS: dict[str, Handler] = {
    "chargingprofilesReceiverGetActiveProfile": receiver,
    "chargingprofilesReceiverPutProfile": receiver,
    "chargingprofilesReceiverDeleteProfile": receiver,
    "chargingprofilesSenderPostResult": post_result,
    "chargingprofilesSenderPutActiveProfile": put_active_profile,
}

__all__ = ("HANDLERS", "RESULT_MODELS", "query_response_url", "with_response_url")
