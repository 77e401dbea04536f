"""Payments (2.3.0) through the hub: Terminals and FinancialAdviceConfirmations between a PTP and CPOs.

The objects belong to the PTP (the module's data owner) but their URLs carry no ``{country_code}/{party_id}``, so
the owner is the party in ``OCPI-from-*`` of the PTP's POST, and the one other party that may read a copy is the CPO
it went to (``audience``), as for sessions and CDRs. The hub keeps its copy (store modules ``payments.terminals``
and ``payments.financial-advice-confirmations``, keyed by the id upper-cased) and serves it on its Sender and
Receiver GETs.

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

from reference_hub.hub.directory import party_key
from reference_hub.hub.objects import Requester
from reference_hub.ocpi.codec import Codec
from reference_hub.ocpi.datetime import DateTime, dec_hook, enc_hook, now
from reference_hub.ocpi.errors import GenericClientError, NotFound
from reference_hub.ocpi.models import FinancialAdviceConfirmation, Terminal, TerminalPatch
from reference_hub.store import Conflict, Store
from reference_hub.store.objects import ObjectQuery, StoredObject
from reference_hub.store.page import Page

TERMINALS = "payments.terminals"
CONFIRMATIONS = "payments.financial-advice-confirmations"
_MODELS: dict[str, tuple[type[Any], str]] = {
    TERMINALS: (Terminal, "terminal_id"),
    CONFIRMATIONS: (FinancialAdviceConfirmation, "id"),
}
_ATTEMPTS = 5


class Payments:
    """The hub's copy of Terminals and FinancialAdviceConfirmations."""

    def __init__(self, store: Store, codec: Codec) -> None:
        self.store = store
        self.codec = codec

    def decode(self, what: str, body: bytes) -> Any:
        return self.codec.decode(body, _MODELS[what][0])

    async def keep(self, what: str, who: Requester, body: bytes, audience: str | None) -> StoredObject:
        """Store (or replace) the PTP's object as posted, readable by ``audience`` too."""
        model, id_field = _MODELS[what]
        obj = self.codec.decode(body, model)
        key = str(getattr(obj, id_field)).upper()
        for _ in range(_ATTEMPTS):
            current = await self.store.get_object(what, who.party, key)
            record = StoredObject(
                module=what,
                owner=who.party,
                object_id=key,
                partner_id=who.partner.partner_id,
                audience=audience or (None if current is None else current.audience),
                last_updated=obj.last_updated,
                created=now() if current is None else current.created,
                version=1 if current is None else current.version + 1,
                body=self.codec.encode(obj),
            )
            try:
                await self.store.write_object(record, expected_version=None if current is None else current.version)
                return record
            except Conflict:
                continue
        raise GenericClientError(f"{key} is being changed by others: try again")

    async def update_terminal(self, found: StoredObject, body: bytes, *, patch: bool) -> None:
        """A CPO's PUT or PATCH the owning PTP accepted: bring the hub's copy along (last_updated as sent)."""
        if patch:
            changes = msgspec.structs.asdict(self.codec.decode(body, TerminalPatch))
            doc = msgspec.json.decode(found.body)
            doc.update(
                {k: msgspec.to_builtins(v, enc_hook=enc_hook) for k, v in changes.items() if v is not msgspec.UNSET}
            )
            try:
                obj = msgspec.convert(doc, Terminal, dec_hook=dec_hook)
            except msgspec.ValidationError:  # the PTP took a change the hub cannot apply: keep the copy as it was
                return
        else:
            obj = self.codec.decode(body, Terminal)
        record = msgspec.structs.replace(
            found, body=self.codec.encode(obj), last_updated=obj.last_updated, version=found.version + 1
        )
        # on Conflict a concurrent write won; the PTP holds the truth, and a GET through the hub reaches it
        with contextlib.suppress(Conflict):
            await self.store.write_object(record, expected_version=found.version)

    async def readable(self, what: str, who: Requester, object_id: str) -> StoredObject:
        """The one object with this id that ``who`` owns or was sent (404 otherwise)."""
        found = [
            o
            for o in await self.store.find_objects(what, object_id.upper(), limit=10)
            if who.party in (o.owner, o.audience)
        ]
        if len(found) != 1:
            label = "terminal" if what == TERMINALS else "financial advice confirmation"
            if not found:
                raise NotFound(f"unknown {label} {object_id}")
            raise GenericClientError(f"{label} {object_id} exists for several parties: name one in OCPI-to-*")
        return found[0]

    async def page(
        self,
        what: str,
        who: Requester,
        *,
        date_from: DateTime | None,
        date_to: DateTime | None,
        offset: int,
        limit: int,
    ) -> Page[msgspec.Raw]:
        query = ObjectQuery(
            module=what, date_from=date_from, date_to=date_to, offset=offset, limit=limit, readers=(who.party,)
        )
        page = await self.store.list_objects(query)
        return Page(total=page.total, items=[msgspec.Raw(o.body) for o in page.items])

    @staticmethod
    def terminal_cpo(terminal: Terminal) -> str | None:
        if terminal.country_code and terminal.party_id:
            return party_key(terminal.country_code, terminal.party_id)
        return None

    async def confirmation_cpo(self, who: Requester, confirmation: FinancialAdviceConfirmation) -> str | None:
        found = await self.store.find_callbacks(
            module="commands",
            subject=confirmation.authorization_reference,
            kind="START_SESSION",
            requester=who.party,
            limit=1,
        )
        return found[0].receiver if found else None


__all__ = ("CONFIRMATIONS", "TERMINALS", "Payments")
