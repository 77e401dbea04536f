"""Sessions: what the catalogue row cannot say. PATCH appending ``charging_periods`` and the ``cdr_token`` audience
are the row's; this file is the charging preferences a party sets on a session
(``PUT {sessions}/{session_id}/charging_preferences``, the Sender interface): they go to the CPO of the session, the
party named in ``OCPI-to-*`` or else the owner of the hub's copy of the session (which the requester must be allowed
to see).
"""

from __future__ import annotations

from reference_hub.hub.catalogue import SPECS
from reference_hub.hub.frontdoor import Exchange, FrontDoor, Handler, Reply, relay

SESSIONS = SPECS["sessions"]


async def charging_preferences(door: FrontDoor, ex: Exchange) -> Reply:
    who, to = await door.requester(ex)
    if to is None:
        to = (await door.objects.readable(SESSIONS, who, ex.params["session_id"])).owner
    return relay(await door.forward(ex, who, to, ex.body))


HANDLERS: dict[str, Handler] = {"sessionsSenderPutChargingPreferences": charging_preferences}

__all__ = ("HANDLERS",)
