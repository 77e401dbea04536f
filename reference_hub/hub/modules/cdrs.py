"""CDRs: what the catalogue row cannot say. A CDR is POSTed to the bare Receiver endpoint, with its owner in the
body, once: a second POST of the same id is refused, because CDRs never change (a correction is a credit CDR). The
hub answers with the URL of its copy in ``Location``, ``{cdrs}/{CC}.{PID}.{id}`` (so two CPOs' CDR ids never
collide; see :func:`cdr_url_id` for ids with a dot or a slash), readable by the CPO and by the eMSP of the
``cdr_token``. Addressed to a party, or
(open routing) to the eMSP of its ``cdr_token`` when connected, the CDR is also forwarded, and the receiver's own
``Location`` is replaced by the hub's (the sender cannot call the receiver's URL).
"""

from __future__ import annotations

from urllib.parse import quote

import msgspec

from reference_hub.faults import Fault
from reference_hub.hub.catalogue import SPECS
from reference_hub.hub.directory import party_key
from reference_hub.hub.frontdoor import Exchange, FrontDoor, Handler, Reply, relay
from reference_hub.hub.objects import object_key, require_every_field
from reference_hub.hub.routing import Relayed
from reference_hub.ocpi.errors import GenericClientError
from reference_hub.ocpi.models import CDR
from reference_hub.store import Conflict

CDRS = SPECS["cdrs"]


_ESCAPES = {"~": "~t", ".": "~d", "/": "~s", "\\": "~b", "%": "~p"}
_UNESCAPES = {code[1]: char for char, code in _ESCAPES.items()}


def cdr_url_id(owner: str, cdr_id: str) -> str:
    """The ``{cdr_id}`` segment of the URL the hub answers a CDR POST with: owner and id joined by dots.

    A CDR id may hold any printable character, but the segment reaches the hub decoded once by the HTTP server, and
    the hub refuses a path id holding (or decoding to) a slash or a backslash. So inside each part a dot, a slash, a
    backslash and a percent sign are written ``~d``, ``~s``, ``~b``, ``~p`` (a tilde ``~t``) before percent-encoding:
    the decoded segment then splits into exactly three parts and decodes to nothing further."""
    country, party = owner.split("/", 1)
    return ".".join(quote("".join(_ESCAPES.get(c, c) for c in part), safe="") for part in (country, party, cdr_id))


def parse_cdr_url_id(value: str) -> tuple[str, str] | None:
    """Owner and CDR id of a segment :func:`cdr_url_id` wrote, as the HTTP server decoded it (None: not one)."""
    parts = value.split(".")
    if len(parts) != 3:
        return None
    try:
        country, party, cdr_id = (_unescaped(p) for p in parts)
    except KeyError:
        return None
    return party_key(country, party), cdr_id


def _unescaped(part: str) -> str:
    found, chars = [], iter(part)
    for c in chars:
        found.append(_UNESCAPES[next(chars, "")] if c == "~" else c)
    return "".join(found)


async def post(door: FrontDoor, ex: Exchange) -> Reply:
    who, to = await door.requester(ex)
    objects = door.objects
    cdr: CDR = door.codec.decode(ex.body, CDR)
    if Fault.OPTIONAL_FIELDS_REQUIRED in door.faults:
        require_every_field(ex.body, CDR)
    owner = objects.owner(CDRS, who, cdr.country_code, cdr.party_id)
    key = object_key(CDRS, cdr.id)
    current = await door.store.get_object(CDRS.module, owner, key)
    if current is not None and Fault.CDR_OVERWRITTEN not in door.faults:
        raise GenericClientError(
            f"CDR {cdr.id} of {owner} exists already and CDRs never change: "
            "send a credit CDR (a new id, credit=true, credit_reference_id) to correct it"
        )
    try:
        record = await objects.write(CDRS, who, owner, key, cdr, current)
    except Conflict as exc:
        raise GenericClientError(f"CDR {cdr.id} of {owner} exists already and CDRs never change") from exc
    headers = {}
    if Fault.CDR_NO_LOCATION_HEADER not in door.faults:
        headers["Location"] = f"{door.settings.base_url}{ex.op.path}/{cdr_url_id(owner, cdr.id)}"
    receiver = to or await door.connected(record.audience)
    if receiver is None:
        return Reply(http_status=201, headers=headers)
    ref = f"{CDRS.module}|{owner}|{key.upper()}"  # the operator's view of the CDR lists what its eMSP was sent
    relayed = await door.forward(ex, who, receiver, ex.body, object_ref=ref)  # as sent: unknown fields untouched
    relayed_headers = [(k, v) for k, v in relayed.headers if k.lower() != "location"]
    if relayed.succeeded:
        relayed_headers += list(headers.items())
    return relay(Relayed(relayed.status, relayed.body, relayed_headers, relayed.status_code))


async def get(door: FrontDoor, ex: Exchange) -> Reply:
    who, _to = await door.requester(ex)
    url_id = ex.params["cdr_id"]
    parsed = parse_cdr_url_id(url_id)
    current = None if parsed is None else await door.store.get_object(CDRS.module, parsed[0], parsed[1].upper())
    if current is None or not door.objects.may_read(CDRS, who, current):
        raise door.objects.unknown(CDRS, url_id)
    return Reply(msgspec.Raw(current.body))


HANDLERS: dict[str, Handler] = {"cdrsReceiverPostCdr": post, "cdrsReceiverGetCdr": get}

__all__ = ("HANDLERS", "cdr_url_id", "parse_cdr_url_id")
