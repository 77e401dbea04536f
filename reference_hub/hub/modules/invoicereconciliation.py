"""Invoice Reconciliation (OCPI 2.3.0 edition 2): what the catalogue row cannot say.

A record tells the invoice's receiver which CDRs the invoice covers. Its owner is the issuer: a CPO invoicing an eMSP
(direct billing) or an eMSP sending credit invoices to a CPO (reverse billing); the row allows both. The record
names no receiver (the URL's ``{country_code}/{party_id}`` is the issuer's), so the hub routes it:

- **Direct** (``OCPI-to-*`` a party): to that party.
- **Open routing** (no ``OCPI-to-*``, or the hub's own id): a record the hub has routed before goes to the same
  counterparty; otherwise to the one party its CDRs name in the hub's copy. In direct billing they are the issuer's
  own CDRs, which went to the eMSP of each ``cdr_token``; in reverse billing they are CPOs' CDRs whose ``cdr_token``
  names the issuer, and the CPO that owns them is the counterparty. CDR ids the hub never saw do not count (a record
  may list CDRs the receiver has not got yet: finding those is what reconciliation is for), but the ones it knows
  must name exactly one party, else the hub refuses with 4001 and asks for ``OCPI-to-*``. Never a broadcast: the
  record is one counterparty's financial data.

The hub forwards first and keeps its copy only when the counterparty took the record, so a refusal changes nothing.
A counterparty that is not connected, or implements no Receiver, finds the record in the hub's copy (the hub's
Sender list shows a record to its issuer and to its counterparty only). A POST of an id the issuer used before is
taken again only with the same content (an idempotent replay); a record with other content is corrected with PUT
(2001 otherwise). PATCH is not part of the module.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable

import msgspec

from reference_hub.faults import Fault
from reference_hub.hub.catalogue import SPECS
from reference_hub.hub.directory import roles_of
from reference_hub.hub.frontdoor import Exchange, FrontDoor, Handler, Reply, relay, sender_list
from reference_hub.hub.objects import Requester, object_key
from reference_hub.hub.routing import endpoint_of
from reference_hub.ocpi.errors import InvalidOrMissingParameters, UnknownReceiver
from reference_hub.ocpi.models import InvoiceReconciliationRecord, Role
from reference_hub.store.objects import StoredObject

RECORDS = SPECS["invoicereconciliation"]
CDRS = SPECS["cdrs"]
_SAME_CDR_ID = 10
"""CDRs with one id looked at across CPOs (reverse billing): more than enough to see that the id is ambiguous."""


async def counterparty_of(door: FrontDoor, who: Requester, owner: str, record: InvoiceReconciliationRecord) -> str:
    """The one party the record's CDRs name in the hub's copy (see the module docstring); 4001 when none or
    several."""
    roles = roles_of(who.partner, owner)
    named: set[str] = set()
    for cdr_id in dict.fromkeys(record.cdrs):
        key = object_key(CDRS, cdr_id)
        if Role.CPO in roles:  # direct billing: the issuer's own CDR, which went to the eMSP of its cdr_token
            own = await door.store.get_object(CDRS.module, owner, key)
            if own is not None and own.audience:
                named.add(own.audience)
        if Role.EMSP in roles:  # reverse billing: a CPO's CDR for this eMSP, whose CPO is the counterparty
            found = await door.store.find_objects(CDRS.module, key, limit=_SAME_CDR_ID)
            named |= {cdr.owner for cdr in found if cdr.audience == owner}
        if len(named - {owner}) > 1:  # ambiguous already: the rest of a long list cannot change that
            break
    named.discard(owner)
    if len(named) == 1:
        return named.pop()
    advice = "name the counterparty in OCPI-to-country-code/OCPI-to-party-id"
    if not named:
        raise UnknownReceiver(
            f"the hub routed none of the CDRs invoice reconciliation record {record.id} lists, so it cannot tell "
            f"whom the record is for: {advice}"
        )
    raise UnknownReceiver(
        f"the CDRs invoice reconciliation record {record.id} lists went to several parties "
        f"({', '.join(sorted(named))}): {advice}"
    )


async def _receiver(
    door: FrontDoor,
    who: Requester,
    to: str | None,
    owner: str,
    record: InvoiceReconciliationRecord,
    current: StoredObject | None,
) -> str | None:
    """Whom the record goes to: the party named, the one it went to before, or the one its CDRs name. None only
    under fault ``ir_broadcast`` (what cannot be routed is broadcast)."""
    if to is not None:
        return to
    if current is not None and current.audience:
        return current.audience
    try:
        return await counterparty_of(door, who, owner, record)
    except UnknownReceiver:
        if Fault.IR_BROADCAST not in door.faults:
            raise
        return None


async def _broadcast(
    door: FrontDoor,
    ex: Exchange,
    who: Requester,
    owner: str,
    record: InvoiceReconciliationRecord,
    current: StoredObject | None,
) -> Reply:
    """Fault ``ir_broadcast``: the record goes to every platform with the Receiver, as a Location would."""
    everyone = dataclasses.replace(RECORDS, broadcast_to=frozenset(Role))
    deliveries = await door.broadcast(ex, who, everyone, owner, record.id, ex.body)
    await door.objects.write(RECORDS, who, owner, object_key(RECORDS, record.id), record, current, deliveries)
    door.deliveries.wake()
    return Reply(http_status=201 if current is None else 200)


async def _deliver(
    door: FrontDoor,
    ex: Exchange,
    who: Requester,
    counterparty: str,
    keep: Callable[[], Awaitable[object]],
    *,
    created: bool,
) -> Reply:
    """Forward to the counterparty and keep the copy once it took the record; a counterparty that is not connected
    or implements no Receiver pulls the record from the hub's copy instead."""
    partner = await door.directory.serving(counterparty)
    if partner is None or endpoint_of(partner, RECORDS.module_id, "RECEIVER") is None:
        await keep()
        return Reply(http_status=201 if created else 200)
    relayed = await door.forward(ex, who, counterparty, ex.body or None)
    if relayed.succeeded:
        await door.keep_copy(keep())
    return relay(relayed)


async def post(door: FrontDoor, ex: Exchange) -> Reply:
    """A new record, POSTed to the bare endpoint with its owner in the body."""
    who, to = await door.requester(ex)
    objects = door.objects
    record: InvoiceReconciliationRecord = objects.decode_pushed(RECORDS, ex.body)
    owner = objects.owner(RECORDS, who, record.country_code, record.party_id)
    key = object_key(RECORDS, record.id)
    current = await door.store.get_object(RECORDS.module, owner, key)
    if current is not None and current.body != door.codec.encode(record):
        raise InvalidOrMissingParameters(
            f"invoice reconciliation record {record.id} of {owner} exists already with other content: "
            "correct it with a PUT"
        )
    counterparty = await _receiver(door, who, to, owner, record, current)
    if counterparty is None:
        return await _broadcast(door, ex, who, owner, record, current)
    return await _deliver(
        door,
        ex,
        who,
        counterparty,
        lambda: objects.keep(RECORDS, who, record, counterparty, key=key, owner=owner),
        created=current is None,
    )


async def put(door: FrontDoor, ex: Exchange) -> Reply:
    """The whole record again (a corrected invoice id or CDR list): its ``cdrs`` replace the stored ones."""
    who, to = await door.requester(ex)
    params = ex.params
    prepared = door.objects.prepare(
        RECORDS, who, "PUT", params["country_code"], params["party_id"], (params["id"],), ex.body
    )
    record: InvoiceReconciliationRecord = prepared.decoded
    current = await door.store.get_object(RECORDS.module, prepared.owner, prepared.key)
    if Fault.IR_PUT_MERGES_CDRS in door.faults and current is not None:
        stored = door.codec.decode(current.body, InvoiceReconciliationRecord).cdrs
        record = msgspec.structs.replace(record, cdrs=list(dict.fromkeys([*stored, *record.cdrs])))
        prepared = dataclasses.replace(prepared, decoded=record)
    counterparty = await _receiver(door, who, to, prepared.owner, record, current)
    if counterparty is None:
        return await _broadcast(door, ex, who, prepared.owner, record, current)
    return await _deliver(
        door,
        ex,
        who,
        counterparty,
        lambda: door.objects.apply(prepared, who, audience=counterparty),
        created=current is None,
    )


async def delete(door: FrontDoor, ex: Exchange) -> Reply:
    """A record that should never have existed: to the counterparty it went to (or the party named)."""
    who, to = await door.requester(ex)
    params = ex.params
    prepared = door.objects.prepare(
        RECORDS, who, "DELETE", params["country_code"], params["party_id"], (params["id"],), b""
    )
    current = await door.store.get_object(RECORDS.module, prepared.owner, prepared.key)
    counterparty = to or (None if current is None else current.audience)
    if counterparty is None:
        raise door.objects.unknown(
            RECORDS, params["id"], "the hub routed no record with this id: name its receiver in OCPI-to-*"
        )
    return await _deliver(door, ex, who, counterparty, lambda: door.objects.apply(prepared, who), created=False)


async def records(door: FrontDoor, ex: Exchange) -> Reply:
    """The Sender list: the generic one (the issuer's and the counterparty's records only), but for a fault."""
    if Fault.IR_SERVED_TO_ALL in door.faults:
        return await sender_list(door, ex, dataclasses.replace(RECORDS, readers=frozenset(Role)))
    return await sender_list(door, ex)


HANDLERS: dict[str, Handler] = {
    "invoicereconciliationSenderGetList": records,
    "invoicereconciliationReceiverPostRecord": post,
    "invoicereconciliationReceiverPutRecord": put,
    "invoicereconciliationReceiverDeleteRecord": delete,
}

__all__ = ("HANDLERS", "counterparty_of")
