"""What an operator does to partners and invitations (the dashboard, the admin API, the ``ocpi-hub`` CLI): invite,
suspend, reactivate, unregister, remove, revoke. Each change drops the caches it affects and tells the other
platforms (ClientInfo) exactly once; a refusal names why (:class:`OperatorRefusal`). Every change is written to the
audit log with who made it (``by``: a named operator, ``admin key``, ``admin API`` or ``cli``)."""

from __future__ import annotations

import base64
import logging
import re
import secrets
from datetime import timedelta

import msgspec
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.low_level import ARGON2_VERSION

from reference_hub.hub.credentials import Registrar
from reference_hub.hub.tokens import hash_token, new_token
from reference_hub.ocpi.datetime import DateTime, now
from reference_hub.store import Conflict, Invitation, Partner, PartnerStatus, Store
from reference_hub.store.desk import AuditEntry

log = logging.getLogger("reference_hub.credentials")


OPERATOR_NAME = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
"""What an operator's name may be (it travels inside the dashboard's session cookie)."""
_HASHER = PasswordHasher()
"""Argon2id with the library's recommended parameters (RFC 9106's low-memory profile)."""


def hash_password(password: str) -> str:
    """The PHC string the store keeps for an operator (algorithm, parameters, salt and hash; never the password)."""
    return _HASHER.hash(password)


def unmatchable_hash() -> str:
    """A PHC string no password matches, with the parameters :func:`hash_password` uses, so that checking a password
    against it costs what checking against an operator's hash does (the dashboard checks a sign-in under an unknown
    name against it: names cannot be told apart by time). Its salt and digest are random bytes: hashing a random
    password instead cost each process that imported the dashboard, every hub worker, a fifth of a second of CPU as
    it started."""
    hasher = _HASHER

    def b64(size: int) -> str:
        return base64.b64encode(secrets.token_bytes(size)).decode("ascii").rstrip("=")

    return (
        f"$argon2{hasher.type.name.lower()}$v={ARGON2_VERSION}"
        f"$m={hasher.memory_cost},t={hasher.time_cost},p={hasher.parallelism}"
        f"${b64(hasher.salt_len)}${b64(hasher.hash_len)}"
    )


def password_matches(password_hash: str, password: str) -> bool:
    """Constant-time check of a password against a stored hash (tens of milliseconds: run it off the event loop)."""
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


class OperatorRefusal(Exception):
    """An operator action that cannot be carried out as asked (unknown partner, wrong status, concurrent change)."""


class Operators:
    """Operator actions on one store."""

    def __init__(self, store: Store, registrar: Registrar, *, invitation_days: float = 7.0) -> None:
        self.store = store
        self.registrar = registrar
        self.invitation_days = invitation_days

    async def audit(self, by: str, action: str, subject: str = "", detail: str = "") -> None:
        """One line of the audit log (also for actions carried out elsewhere, e.g. on deliveries)."""
        await self.store.add_audit(
            AuditEntry(at=now(), operator=by, action=action, subject=subject[:200], detail=detail[:500])
        )

    async def invite(self, label: str = "", *, days: float | None = None, by: str = "admin API") -> str:
        """A new registration token A, valid for ``days`` (the ``invitation_days`` setting when None)."""
        token = new_token()
        created = now()
        expires = DateTime.from_datetime(created + timedelta(days=self.invitation_days if days is None else days))
        token_hash = hash_token(token)
        label = label.strip()[:100]
        await self.store.add_invitation(
            Invitation(token_hash=token_hash, created=created, label=label, expires=expires)
        )
        await self.audit(by, "invite", token_hash[:12], f"{label or 'no label'}; expires {expires.to_ocpi()}")
        return token

    async def remove(self, partner_id: str, *, by: str = "admin API") -> bool:
        """An operator removes a partner record (e.g. one half-registered by a crash): its token stops working and its
        party ids are free for a new registration. True if there was such a partner."""
        before = await self.store.get_partner(partner_id)
        removed = await self.store.delete_partner(partner_id)
        if removed:
            self.registrar.changed()
            log.info("partner %s removed by the operator", partner_id)
            await self.audit(by, "remove", partner_id)
            if before is not None and before.status is PartnerStatus.ACTIVE:
                await self.registrar.announce(before, "SUSPENDED")
        return removed

    async def _operator_change(self, partner_id: str, allowed: tuple[PartnerStatus, ...], **changes: object) -> Partner:
        current = await self.store.get_partner(partner_id)
        if current is None:
            raise OperatorRefusal(f"there is no partner {partner_id[:64]!r}")
        if current.status not in allowed:
            raise OperatorRefusal(f"partner {partner_id} is {current.status.value}")
        changed = msgspec.structs.replace(current, updated=now(), **changes)
        try:
            await self.store.replace_partner(changed, expected_token_hash=current.token_hash)
        except Conflict as exc:
            raise OperatorRefusal(f"partner {partner_id} changed meanwhile; look again") from exc
        self.registrar.changed()
        return changed

    async def suspend(self, partner_id: str, *, by: str = "admin API") -> Partner:
        """Block an ACTIVE partner: its token opens nothing (the refusal names the suspension), nothing is sent to it,
        its parties stay reserved for it, and every other platform is told (ClientInfo ``SUSPENDED``)."""
        changed = await self._operator_change(partner_id, (PartnerStatus.ACTIVE,), status=PartnerStatus.SUSPENDED)
        log.info("partner %s suspended by the operator", partner_id)
        await self.audit(by, "suspend", partner_id)
        await self.registrar.announce(changed, "SUSPENDED")
        return changed

    async def reactivate(self, partner_id: str, *, by: str = "admin API") -> Partner:
        """Undo :meth:`suspend`: the same token works again and the others are told (ClientInfo ``CONNECTED``). The
        still-alive check will mark it offline again if it turns out to be unreachable."""
        changed = await self._operator_change(
            partner_id, (PartnerStatus.SUSPENDED,), status=PartnerStatus.ACTIVE, offline=False
        )
        log.info("partner %s reactivated by the operator", partner_id)
        await self.audit(by, "reactivate", partner_id)
        await self.registrar.announce(changed, "CONNECTED")
        return changed

    async def unregister_partner(self, partner_id: str, *, by: str = "admin API") -> Partner:
        """The operator's credentials DELETE: the partner's token stops working and its parties are free again. The
        others are told once (a suspended partner was announced when it was suspended)."""
        before = await self.store.get_partner(partner_id)
        changed = await self._operator_change(
            partner_id,
            (PartnerStatus.ACTIVE, PartnerStatus.SUSPENDED),
            status=PartnerStatus.INACTIVE,
            token_hash=None,
            outgoing_token=None,
        )
        log.info("partner %s unregistered by the operator", partner_id)
        await self.audit(by, "unregister", partner_id)
        if before is not None and before.status is PartnerStatus.ACTIVE:
            await self.registrar.announce(changed, "SUSPENDED")
        return changed

    async def revoke_invitation(self, token_hash: str, *, by: str = "admin API") -> bool:
        """Delete an unused token A; True if there was one."""
        revoked = await self.store.revoke_invitation(token_hash)
        if revoked:
            self.registrar.changed()
            await self.audit(by, "revoke invitation", token_hash[:12])
        return revoked
