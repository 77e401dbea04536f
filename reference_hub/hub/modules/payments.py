"""Payments (2.3.0) through the hub: Terminals and FinancialAdviceConfirmations between a PTP and CPOs.

The objects belong to the PTP (the module's data owner) but their URLs carry no ``{country_code}/{party_id}``, so the
owner is the party in ``OCPI-from-*`` of the PTP's POST (catalogue rows ``payments.terminals`` and
``payments.financial-advice-confirmations``, ``owner_from="sender"``), and the one other party that may read a copy
is the CPO it went to (its audience), as for sessions and CDRs. The hub keeps its copy and serves it on its Sender
and Receiver GETs.

Where a request without ``OCPI-to-*`` goes:

- a Terminal POST (PTP -> CPO): the CPO its ``country_code``/``party_id`` names, when that party is connected;
- a FinancialAdviceConfirmation POST (PTP -> CPO): the CPO the PTP's START_SESSION with the same
  ``authorization_reference`` went to through this hub;
- a CPO's PUT, PATCH or deactivate of a terminal: the PTP that owns it in the hub's copy.

Otherwise the hub keeps the copy and answers itself (POSTs), or refuses clearly (requests that only the PTP can
answer).
"""

from __future__ import annotations

import contextlib
from typing import Any

import msgspec

from reference_hub.hub.catalogue import SPECS, ModuleSpec
from reference_hub.hub.directory import party_key
from reference_hub.hub.frontdoor import Exchange, FrontDoor, Handler, Reply, relay
from reference_hub.hub.objects import Requester
from reference_hub.ocpi.datetime import dec_hook, enc_hook
from reference_hub.ocpi.errors import GenericClientError
from reference_hub.ocpi.models import FinancialAdviceConfirmation, Terminal, TerminalPatch
from reference_hub.store import Conflict
from reference_hub.store.objects import StoredObject

TERMINALS = SPECS["payments.terminals"]
CONFIRMATIONS = SPECS["payments.financial-advice-confirmations"]


def _what(ex: Exchange) -> ModuleSpec:
    return TERMINALS if ex.op.suffix.startswith("/terminals") else CONFIRMATIONS


async def _named_cpo(door: FrontDoor, who: Requester, spec: ModuleSpec, obj: Any) -> str | None:
    """The CPO a PTP's object names: a Terminal by its party, a confirmation by the START_SESSION it settles."""
    if spec is TERMINALS:
        terminal: Terminal = obj
        if terminal.country_code and terminal.party_id:
            return party_key(terminal.country_code, terminal.party_id)
        return None
    confirmation: FinancialAdviceConfirmation = obj
    found = await door.store.find_callbacks(
        module="commands",
        subject=confirmation.authorization_reference,
        kind="START_SESSION",
        requester=who.party,
        limit=1,
    )
    return found[0].receiver if found else None


async def post(door: FrontDoor, ex: Exchange) -> Reply:
    """PTP -> CPO: a Terminal or a FinancialAdviceConfirmation; forwarded where it is addressed, and kept."""
    spec = _what(ex)
    who, to = await door.requester(ex)
    obj = door.codec.decode(ex.body, spec.model)
    if to is None:
        to = await door.connected(await _named_cpo(door, who, spec, obj))
    if to is None:
        await door.objects.keep(spec, who, obj)
        return Reply()
    relayed = await door.forward(ex, who, to, ex.body)
    if relayed.succeeded:
        await door.objects.keep(spec, who, obj, to)
    return relay(relayed)


async def get_one(door: FrontDoor, ex: Exchange) -> Reply:
    spec = _what(ex)
    who, to = await door.requester(ex)
    if to is not None:
        return relay(await door.forward(ex, who, to, None))
    object_id = ex.params.get("terminal_id") or ex.params["financial_advice_confirmation_id"]
    found = await door.objects.readable(spec, who, object_id)
    return Reply(msgspec.Raw(found.body))


async def get_list(door: FrontDoor, ex: Exchange) -> Reply:
    spec = _what(ex)
    who, to = await door.requester(ex)
    if to is not None:
        return relay(await door.forward(ex, who, to, None))
    page = door.page(ex)
    result = await door.objects.page(
        spec, who, date_from=page.date_from, date_to=page.date_to, offset=page.offset, limit=page.limit
    )
    return Reply(page=(page, result))


async def to_ptp(door: FrontDoor, ex: Exchange) -> Reply:
    """CPO -> PTP: activate, deactivate, PUT or PATCH a terminal; to the PTP named, else the terminal's owner."""
    method = ex.op.method
    who, to = await door.requester(ex)
    terminal_id = ex.params.get("terminal_id")
    found = None
    if terminal_id is not None:
        with contextlib.suppress(GenericClientError):  # unknown, or ambiguous: only OCPI-to-* can say
            found = await door.objects.readable(TERMINALS, who, terminal_id)
    if method == "PUT":
        door.codec.decode(ex.body, Terminal)
    elif method == "PATCH":
        door.codec.decode(ex.body, TerminalPatch)
    if to is None:
        if found is None:
            raise GenericClientError(
                "the hub cannot tell which payment terminal provider this is for: name it in OCPI-to-*"
            )
        to = found.owner
    relayed = await door.forward(ex, who, to, ex.body or None)
    if relayed.succeeded and found is not None and method in ("PUT", "PATCH"):
        await _update_terminal(door, found, ex.body, patch=method == "PATCH")
    return relay(relayed)


async def _update_terminal(door: FrontDoor, found: StoredObject, body: bytes, *, patch: bool) -> None:
    """A CPO's PUT or PATCH the owning PTP accepted: bring the hub's copy along (last_updated as sent)."""
    if patch:
        changes = msgspec.structs.asdict(door.codec.decode(body, TerminalPatch))
        doc = msgspec.json.decode(found.body)
        doc.update({k: msgspec.to_builtins(v, enc_hook=enc_hook) for k, v in changes.items() if v is not msgspec.UNSET})
        try:
            obj = msgspec.convert(doc, Terminal, dec_hook=dec_hook)
        except msgspec.ValidationError:  # the PTP took a change the hub cannot apply: keep the copy as it was
            return
    else:
        obj = door.codec.decode(body, Terminal)
    record = msgspec.structs.replace(
        found, body=door.codec.encode(obj), last_updated=obj.last_updated, version=found.version + 1
    )
    # on Conflict a concurrent write won; the PTP holds the truth, and a GET through the hub reaches it
    with contextlib.suppress(Conflict):
        await door.store.write_object(record, expected_version=found.version)


HANDLERS: dict[str, Handler] = {
    "paymentsSenderGetTerminals": get_list,
    "paymentsSenderActivateTerminal": to_ptp,
    "paymentsSenderGetTerminal": get_one,
    "paymentsSenderPutTerminal": to_ptp,
    "paymentsSenderPatchTerminal": to_ptp,
    "paymentsSenderDeactivateTerminal": to_ptp,
    "paymentsSenderGetFinancialAdviceConfirmations": get_list,
    "paymentsSenderGetFinancialAdviceConfirmation": get_one,
    "paymentsReceiverPostTerminal": post,
    "paymentsReceiverGetTerminal": get_one,
    "paymentsReceiverPostFinancialAdviceConfirmation": post,
    "paymentsReceiverGetFinancialAdviceConfirmation": get_one,
}

__all__ = ("HANDLERS",)
