"""ChargingProfiles through the hub: what CRUD cannot say about the module.

- GET (active profile) and DELETE carry the requester's ``response_url`` as a query parameter, PUT in its
  SetChargingProfile body; the hub replaces it with its own (``hub/callbacks.py``) and keeps the rest as sent.
- Without ``OCPI-to-*`` a request goes to the CPO that owns the session in the hub's copy (and that the requester may
  see); a session the hub does not know is answered as the CPO would, ChargingProfileResponse UNKNOWN_SESSION.
- The result each request expects: GET an ActiveChargingProfileResult, PUT a ChargingProfileResult, DELETE a
  ClearProfileResult.
- Once a party's SetChargingProfile was ACCEPTED by the CPO (its ChargingProfileResult came back ACCEPTED through
  the hub), the CPO's later ActiveChargingProfile PUTs for that session go to that party (the last one to succeed),
  unless the CPO names a receiver in ``OCPI-to-*``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from reference_hub.hub.callbacks import Callbacks
from reference_hub.hub.commands import Unroutable
from reference_hub.hub.objects import Objects, Requester
from reference_hub.ocpi.errors import GenericClientError, InvalidOrMissingParameters, NotFound
from reference_hub.ocpi.models import (
    ActiveChargingProfileResult,
    ChargingProfileResponse,
    ChargingProfileResponseType,
    ChargingProfileResult,
    ClearProfileResult,
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


async def profile_receiver(objects: Objects, who: Requester, session_id: str) -> str:
    """The CPO of a session the requester may see in the hub's copy (:class:`Unroutable` when there is none)."""
    try:
        return (await objects.session_for_preferences(who, session_id, None)).owner
    except NotFound:
        response = ChargingProfileResponse(result=ChargingProfileResponseType.UNKNOWN_SESSION, timeout=0)
        raise Unroutable(1000, response, f"unknown session {session_id}") from None


async def active_profile_receiver(callbacks: Callbacks, who: Requester, session_id: str) -> str:
    """Where a CPO's ActiveChargingProfile PUT goes without ``OCPI-to-*``: the party that set a profile."""
    setter = await callbacks.latest_setter(who.party, session_id)
    if setter is None:
        raise GenericClientError(
            f"no party set a charging profile on session {session_id} of {who.party} through this hub:"
            " name the receiver in OCPI-to-*"
        )
    return setter


__all__ = (
    "RESULT_MODELS",
    "active_profile_receiver",
    "profile_receiver",
    "query_response_url",
    "with_response_url",
)
