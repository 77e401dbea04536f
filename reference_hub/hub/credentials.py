"""The credentials module's rules: registration in both directions, token rotation, unregistration.

Party-initiated (the party holds our token A): it POSTs its Credentials with token B; before answering we fetch its
versions and 2.3.0 details with B, store it, and answer with our Credentials carrying a new token C.
Hub-initiated (we hold the party's token A): the mirror image, see :meth:`Registrar.register_with`.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol

import msgspec

from reference_hub.faults import Fault
from reference_hub.hub.auth import Authenticator, Caller, CallerKind
from reference_hub.hub.changes import PartnerFeed
from reference_hub.hub.client import OutboundPolicy, PolicyRefusal, redact_url
from reference_hub.hub.peers import CallerBusy, PeerClient, PeerError
from reference_hub.hub.tokens import TokenVault, hash_token, new_token
from reference_hub.ocpi import models_221
from reference_hub.ocpi.codec import Pieces
from reference_hub.ocpi.datetime import now
from reference_hub.ocpi.errors import (
    InvalidOrMissingParameters,
    MethodNotAllowed,
    NoMatchingEndpoints,
    TooManyRequests,
    UnableToUseClientApi,
    Unauthorized,
    UnsupportedVersion,
)
from reference_hub.ocpi.models import BusinessDetails, Credentials, CredentialsRole, Endpoint, Role
from reference_hub.ocpi.versions import V221, V230
from reference_hub.settings import Settings
from reference_hub.store import Conflict, DuplicateParty, Invitation, Partner, PartnerStatus, Store

log = logging.getLogger(__name__)

_COUNTRY = re.compile(r"^[A-Za-z]{2}$")
_PARTY = re.compile(r"^[A-Za-z0-9]{3}$")
_URL_RULES = OutboundPolicy()
"""Only the URL syntax rules are used here; the address is checked when the hub connects."""


def check_party_url(url: str) -> None:
    """2001 when ``url`` can never be called (scheme, syntax, password in it); the address is checked on connect."""
    try:
        _URL_RULES.check_url(url)
    except PolicyRefusal as exc:
        shown = redact_url(url)
        shown = shown if len(shown) <= 120 else shown[:120] + "..."
        raise InvalidOrMissingParameters(f"url {shown!r} cannot be used: {exc}") from exc


def validate_credentials(credentials: Credentials, max_roles: int) -> list[CredentialsRole]:
    """Checks the schema cannot express, and the hub's bound of ``max_roles`` party-roles per platform (the setting
    ``max_party_roles``); returns the roles with upper-case ids. Raises 2001 with the reason."""
    if len(credentials.roles) > max_roles:
        raise InvalidOrMissingParameters(
            f"roles lists {len(credentials.roles)} party-roles; this hub takes at most {max_roles} per platform"
        )
    check_party_url(credentials.url)
    seen: set[tuple[str, str, str]] = set()
    roles = []
    for index, role in enumerate(credentials.roles):
        if not _COUNTRY.match(role.country_code):
            raise InvalidOrMissingParameters(
                f"roles[{index}].country_code {role.country_code!r} must be an ISO 3166-1 alpha-2 code (2 letters)"
            )
        if not _PARTY.match(role.party_id):
            raise InvalidOrMissingParameters(f"roles[{index}].party_id {role.party_id!r} must be 3 letters or digits")
        key = (role.role.value, role.country_code.upper(), role.party_id.upper())
        if key in seen:
            raise InvalidOrMissingParameters(f"roles[{index}] repeats role {key[0]} for {key[1]}/{key[2]}")
        seen.add(key)
        roles.append(msgspec.structs.replace(role, country_code=key[1], party_id=key[2]))
    return roles


def credentials_from_221(credentials: models_221.Credentials) -> Credentials:
    """A 2.2.1 party's Credentials in the hub's own (2.3.0) shape. The two differ only in the ``HUB`` role, which a
    party registering with this hub cannot hold: a hub behind a hub is not supported (2001 saying so)."""
    roles = []
    for index, role in enumerate(credentials.roles):
        if role.role is models_221.Role.HUB:
            raise InvalidOrMissingParameters(
                f"roles[{index}] is HUB: this hub connects CPOs, eMSPs and other parties, not other hubs"
            )
        roles.append(msgspec.convert(msgspec.to_builtins(role), CredentialsRole))
    return Credentials(token=credentials.token, url=credentials.url, roles=roles)


def ensure_unregistered(caller: Caller) -> None:
    """The credentials 405 rule for POST: a registered caller must use PUT or DELETE."""
    if caller.kind is CallerKind.PARTNER or caller.partner_id is not None:
        raise MethodNotAllowed("already registered: use PUT to update or DELETE to unregister")


def ensure_registered(caller: Caller) -> None:
    """The credentials 405 rule for GET, PUT and DELETE: the caller must be a registered partner."""
    if caller.kind is not CallerKind.PARTNER or caller.partner_id is None:
        raise MethodNotAllowed("not registered: POST your credentials first")


class StatusListener(Protocol):
    """What :attr:`Registrar.status_listeners` are called as."""

    def __call__(self, partner: Partner, status: str, /, *, by_rotation: bool) -> Awaitable[None]: ...


class Registrar:
    """The credentials handshakes, both directions: registration, rotation, unregistration, and the hub's own
    Credentials. What an operator does to partners is ``hub/operators.py``."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        authenticator: Authenticator,
        vault: TokenVault,
        peers: PeerClient,
        *,
        feed: PartnerFeed | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.auth = authenticator
        self.vault = vault
        self.peers = peers
        self._reachable: dict[str, list[CredentialsRole]] = {}
        """Roles of every ACTIVE partner, by partner id: what the hub's Credentials list as reachable."""
        self.status_listeners: list[StatusListener] = []
        """Told when a partner connects (``CONNECTED``) or leaves (``SUSPENDED``), and of the party-roles a credentials
        PUT added or dropped (``by_rotation``): the HubClientInfo pushes."""
        self.change_listeners: list[Callable[[], None]] = []
        """Told when this process changed a partner, so per-process caches of partners (the directory) drop it at once
        rather than at their next look at the store's change marker."""
        self._reachable_feed = feed or PartnerFeed(store)
        """Shared with the deliveries' view of the partners in a running hub (``services.build_context``)."""
        self._reachable_feed.follow(
            changed=self._reachable_changed,
            removed=self._reachable_removed,
            dropped=self._reachable_dropped,
            held=lambda: len(self._reachable),
        )
        self._encoded = _EncodedRoles()
        """The reachable roles as JSON, kept beside ``_reachable``: what a GET credentials answer splices in."""

    # --- what the hub hands out -----------------------------------------------------------------------------------

    def own_role(self) -> CredentialsRole:
        """The hub's own party. OCPI 2.3.0 has no HUB role, so it presents itself as OTHER."""
        s = self.settings
        return CredentialsRole(
            role=Role.OTHER,
            business_details=BusinessDetails(name=s.business_name, website=s.business_website),
            party_id=s.party_id.upper(),
            country_code=s.country_code.upper(),
        )

    def _roles_per_interface(self) -> list[CredentialsRole]:
        """Fault ROLES_PER_INTERFACE: the hub as a CPO party (its own id) and an eMSP party, first in its roles."""
        from reference_hub.hub.interface_roles import emsp_party_id

        s = self.settings
        details = BusinessDetails(name=s.business_name, website=s.business_website)
        cc = s.country_code.upper()
        return [
            CredentialsRole(role=Role.CPO, business_details=details, party_id=s.party_id.upper(), country_code=cc),
            CredentialsRole(role=Role.EMSP, business_details=details, party_id=emsp_party_id(s), country_code=cc),
        ]

    async def _reachable_roles(self) -> dict[str, list[CredentialsRole]]:
        """Roles of every active partner, kept up to date by reading only the partners written since the last look
        (``changes.PartnerFeed``). Every handshake answers with these roles and moves the marker, so this runs once
        per handshake: re-reading the partners stamped within a margin of a few seconds instead decodes a few hundred
        partners per handshake during a wave of registrations, which made it the largest single cost of a handshake.
        """
        await self._reachable_feed.refresh()
        return self._reachable

    def _reachable_changed(self, partner: Partner, active: bool) -> None:
        partner_id = partner.partner_id
        if not active:
            self._reachable_removed(partner_id)
        elif partner_id not in self._reachable:
            self._reachable[partner_id] = partner.roles
            self._encoded.added(partner_id)
        elif self._reachable[partner_id] != partner.roles:
            self._reachable[partner_id] = partner.roles
            self._encoded.changed(partner_id)

    def _reachable_removed(self, partner_id: str) -> None:
        if self._reachable.pop(partner_id, None) is not None:
            self._encoded.removed(partner_id)

    def _reachable_dropped(self) -> None:
        self._reachable = {}
        self._encoded = _EncodedRoles()

    async def announce(self, partner: Partner, status: str, *, by_rotation: bool = False) -> None:
        """Tell the listeners; a listener's failure never undoes the registration change that caused it.
        ``by_rotation``: the platform changed its own party-roles at a credentials PUT (it can do so at every PUT)."""
        for listener in self.status_listeners:
            try:
                await listener(partner, status, by_rotation=by_rotation)
            except Exception:
                log.exception("could not announce %s as %s", partner.partner_id, status)

    def changed(self) -> None:
        """This process changed a token or a partner: drop cached authentications and partners, refresh the reachable
        parties."""
        self.auth.forget()
        self._reachable_feed.stale()
        for listener in self.change_listeners:
            listener()

    async def hub_credentials(self, token: str, *, exclude: str | None = None, version: str = V230) -> Any:
        """Our Credentials for one partner, in its version's form. 2.3.0: its token, our versions URL,
        ``hub_party_id``, and every reachable party in ``roles``. 2.2.1: its token, our versions URL, and the hub
        alone with the ``HUB`` role (a 2.2.1 hub lists only itself; its parties are announced by HubClientInfo)."""
        if version == V221:
            own = self.own_role()
            hub = models_221.CredentialsRole(
                role=models_221.Role.HUB,
                business_details=models_221.BusinessDetails(
                    name=own.business_details.name, website=own.business_details.website
                ),
                party_id=own.party_id,
                country_code=own.country_code,
            )
            roles_221 = [hub]
            if self.settings.has_fault(Fault.V221_ROLES_LISTED):
                for partner_id, partner_roles in (await self._reachable_roles()).items():
                    if partner_id != exclude:
                        roles_221 += [
                            msgspec.convert(msgspec.to_builtins(r), models_221.CredentialsRole) for r in partner_roles
                        ]
            creds = models_221.Credentials(token=token, url=self.settings.versions_url, roles=roles_221)
            if self.settings.has_fault(Fault.V221_HUB_PARTY_ID):
                return {**msgspec.to_builtins(creds), "hub_party_id": self.settings.hub_party_id}
            return creds
        roles = [self.own_role()]
        if self.settings.has_fault(Fault.ROLES_PER_INTERFACE):
            roles = self._roles_per_interface()
        if not self.settings.has_fault(Fault.CREDENTIALS_ROLES_HUB_ONLY):
            for partner_id, partner_roles in (await self._reachable_roles()).items():
                if partner_id != exclude:
                    roles.extend(partner_roles)
        hub_party_id = None if self.settings.has_fault(Fault.NO_HUB_PARTY_ID) else self.settings.hub_party_id
        if self.settings.has_fault(Fault.ROLES_PER_INTERFACE):
            hub_party_id = None
        return Credentials(token=token, url=self.settings.versions_url, hub_party_id=hub_party_id, roles=roles)

    async def _answer(self, token: str, exclude: str, version: str, encode: Callable[[Any], bytes] | None) -> Any:
        """The Credentials answering a POST or PUT: JSON when ``encode`` is given, else the object."""
        if encode is None:
            return await self.hub_credentials(token, exclude=exclude, version=version)
        return await self.hub_credentials_json(token, encode, exclude=exclude, version=version)

    async def encode_roles(self, encode: Callable[[Any], bytes]) -> None:
        """Encode every reachable party's roles now (the app's lifespan, before the first request) rather than at the
        first Credentials answer, which held its worker up meanwhile: about 130 ms with 100,000 partners."""
        self._encoded.without(await self._reachable_roles(), encode, None)

    async def hub_credentials_json(
        self, token: str, encode: Callable[[Any], bytes], *, exclude: str | None, version: str = V230
    ) -> Pieces:
        """:meth:`hub_credentials` as JSON, the reachable roles encoded once per change of the party list.

        A 2.3.0 hub lists every reachable party, so with 100,000 parties one answer is about 10 MB: encoding it per
        request held GET credentials to a few per second. The roles are kept encoded, each partner's at a known place,
        and each answer is the caller's token and our own role, then that text minus the caller's own roles, as
        pieces the envelope joins once (``ocpi.codec.Pieces``). The fault switches that reshape the answer take the
        plain path, and so does 2.2.1, whose Credentials name the hub alone.
        """
        if version != V230 or (self.settings.faults and any(self.settings.has_fault(f) for f in _RESHAPING_FAULTS)):
            return Pieces((encode(await self.hub_credentials(token, exclude=exclude, version=version)),))
        reachable = await self._reachable_roles()
        head = encode(
            Credentials(
                token=token,
                url=self.settings.versions_url,
                hub_party_id=self.settings.hub_party_id,
                roles=[self.own_role()],
            )
        )
        if not head.endswith(b"]}"):  # the roles are the last field; anything else is not this encoder's form
            return Pieces((encode(await self.hub_credentials(token, exclude=exclude)),))
        rest = self._encoded.without(reachable, encode, exclude)
        if not rest:
            return Pieces((head,))
        return Pieces((memoryview(head)[:-2], b",", *rest, b"]}"))

    # --- party-initiated ------------------------------------------------------------------------------------------

    async def _discover(
        self,
        versions_url: str,
        token: str,
        *,
        version: str | None,
        callback: bool = True,
        caller: str | None = None,
    ) -> tuple[str, list[Endpoint]]:
        """The party's endpoints for ``version`` (None: the highest both sides offer): 3001 when it cannot be used,
        3002 without that version, 3003 without credentials, HTTP 429 when the caller's token already has a
        handshake under way."""
        if callback and self.settings.has_fault(Fault.NO_REGISTRATION_CALLBACK):
            return version or V230, []
        try:
            chosen, details = await self.peers.discover(versions_url, token, caller, version=version)
        except LookupError as exc:
            raise UnsupportedVersion(str(exc)) from exc
        except CallerBusy as exc:
            raise TooManyRequests(f"{exc}; try again when it has finished", retry_after=1) from exc
        except PeerError as exc:
            raise UnableToUseClientApi(f"could not use the party's API: {exc}") from exc
        if not any(e.identifier == "credentials" for e in details.endpoints):
            raise NoMatchingEndpoints(f"the party's {chosen} version details list no credentials endpoint")
        return chosen, list(details.endpoints)

    def _partner(
        self,
        partner_id: str,
        roles: list[CredentialsRole],
        theirs: Credentials,
        our_token: str,
        discovered: tuple[str, list[Endpoint]],
        *,
        initiated_by: str,
        raw_token_auth: bool = False,
    ) -> Partner:
        """An ACTIVE partner record: the hash of the token it presents to us, its own token sealed."""
        stamp = now()
        return Partner(
            partner_id=partner_id,
            status=PartnerStatus.ACTIVE,
            token_hash=hash_token(our_token),
            outgoing_token=self.vault.encrypt(theirs.token),
            versions_url=theirs.url,
            version=discovered[0],
            endpoints=discovered[1],
            roles=roles,
            raw_token_auth=raw_token_auth,
            initiated_by=initiated_by,
            # A party-initiated registration is complete only once the party uses the token in our answer; ours,
            # hub-initiated, is complete when the party has answered our POST.
            token_confirmed=initiated_by == "HUB",
            created=stamp,
            updated=stamp,
        )

    async def _check_parties_free(self, roles: list[CredentialsRole], partner_id: str | None) -> None:
        for role in roles:
            key = f"{role.country_code}/{role.party_id}"
            owner = await self.store.party_owner(key)
            if owner is not None and owner != partner_id:
                raise InvalidOrMissingParameters(f"party {key} is already registered with this hub")

    async def register(
        self,
        caller: Caller,
        credentials: Credentials,
        version: str = V230,
        *,
        encode: Callable[[Any], bytes] | None = None,
    ) -> Any:
        """Credentials POST to the ``version`` credentials endpoint: the party speaks that version from now on. With
        ``encode``, the answer is our Credentials as JSON (see :meth:`hub_credentials_json`)."""
        ensure_unregistered(caller)
        roles = validate_credentials(credentials, self.settings.max_party_roles)
        partner_id = f"{roles[0].country_code}-{roles[0].party_id}"
        existing = await self.store.get_partner(partner_id)
        if existing is not None and existing.status is not PartnerStatus.INACTIVE:
            raise InvalidOrMissingParameters(f"partner {partner_id} is already registered with this hub")
        await self._check_parties_free(roles, None)
        discovered = await self._discover(credentials.url, credentials.token, version=version, caller=caller.token_hash)
        token_c = new_token()
        partner = self._partner(
            partner_id, roles, credentials, token_c, discovered, initiated_by="PARTY", raw_token_auth=caller.raw_token
        )
        consume = None if self.settings.has_fault(Fault.TOKEN_A_SURVIVES) else caller.token_hash
        try:
            await self.store.insert_partner(partner, consume_invitation=consume)
        except Conflict as exc:
            raise MethodNotAllowed("this registration token has been used already") from exc
        except DuplicateParty as exc:
            raise InvalidOrMissingParameters(str(exc)) from exc
        self.changed()
        log.info(
            "partner %s registered (party-initiated, OCPI %s): %s from %s",
            partner_id,
            version,
            _parties(roles),
            redact_url(credentials.url),
        )
        await self.announce(partner, "CONNECTED")
        return await self._answer(token_c, partner_id, version, encode)

    async def _current(self, caller: Caller) -> Partner:
        """The caller's partner record, or 405 when the caller is not a registered partner."""
        ensure_registered(caller)
        partner = await self.store.get_partner(caller.partner_id or "")
        if partner is None:
            raise MethodNotAllowed("not registered: POST your credentials first")
        return partner

    async def update(
        self,
        caller: Caller,
        credentials: Credentials,
        version: str = V230,
        *,
        encode: Callable[[Any], bytes] | None = None,
    ) -> Any:
        """Credentials PUT to the ``version`` credentials endpoint: re-fetch the party's endpoints of that version
        (a party moves to another version this way, and its traffic follows), store its new token, issue a new one.
        The answer as in :meth:`register`."""
        current = await self._current(caller)
        roles = validate_credentials(credentials, self.settings.max_party_roles)
        await self._check_parties_free(roles, current.partner_id)
        version, endpoints = await self._discover(
            credentials.url, credentials.token, version=version, caller=caller.token_hash
        )
        token_c = new_token()
        updated = msgspec.structs.replace(
            current,
            token_hash=hash_token(token_c),
            outgoing_token=self.vault.encrypt(credentials.token),
            versions_url=credentials.url,
            version=version,
            endpoints=endpoints,
            roles=roles,
            raw_token_auth=current.raw_token_auth or caller.raw_token,
            token_confirmed=False,
            updated=now(),
        )
        try:
            await self.store.replace_partner(updated, expected_token_hash=caller.token_hash)
        except Conflict as exc:
            raise Unauthorized("this token was replaced by a concurrent credentials update") from exc
        except DuplicateParty as exc:
            raise InvalidOrMissingParameters(str(exc)) from exc
        self.changed()
        log.info(
            "partner %s rotated its credentials (OCPI %s): %s at %s",
            current.partner_id,
            version,
            _parties(roles),
            redact_url(credentials.url),
        )
        if self.settings.has_fault(Fault.OLD_TOKEN_SURVIVES):
            await self.store.add_invitation(Invitation(token_hash=caller.token_hash, created=now()))
        await self._announce_roles(current, updated)
        return await self._answer(token_c, current.partner_id, version, encode)

    async def _announce_roles(self, before: Partner, after: Partner) -> None:
        """A rotation may change the platform's roles: the others are told of each party-role it dropped (SUSPENDED,
        as for an unregistration) and each it added (CONNECTED), and of nothing when the roles stayed the same."""

        def key(role: Any) -> tuple[str, str, str]:
            return (role.country_code, role.party_id, role.role.value)

        old, new = {key(r) for r in before.roles}, {key(r) for r in after.roles}
        dropped = [r for r in before.roles if key(r) not in new]
        added = [r for r in after.roles if key(r) not in old]
        if dropped:
            await self.announce(msgspec.structs.replace(before, roles=dropped), "SUSPENDED", by_rotation=True)
        if added:
            await self.announce(msgspec.structs.replace(after, roles=added), "CONNECTED", by_rotation=True)

    async def unregister(self, caller: Caller) -> None:
        """Credentials DELETE: the partner's token stops working and its party ids are free again."""
        current = await self._current(caller)
        gone = msgspec.structs.replace(
            current, status=PartnerStatus.INACTIVE, token_hash=None, outgoing_token=None, updated=now()
        )
        try:
            await self.store.replace_partner(gone, expected_token_hash=caller.token_hash)
        except Conflict as exc:
            raise Unauthorized("this token was replaced by a concurrent credentials update") from exc
        self.changed()
        log.info("partner %s unregistered itself (credentials DELETE)", current.partner_id)
        await self.announce(current, "SUSPENDED")

    # --- hub-initiated --------------------------------------------------------------------------------------------

    async def register_with(self, versions_url: str, token_a: str) -> Partner:
        """Register the hub with a party that gave us its versions URL and a token A.

        1. fetch the party's versions and 2.3.0 details with token A (stop before POSTing if it has no credentials
           endpoint); 2. store a PENDING record holding the hash of a new token B, so the party's call-backs with B are
           accepted; 3. POST our Credentials (token B) with token A; 4. store the party's answer: its token C (what we
           present from now on) and its roles, and activate the record.
        """
        check_party_url(versions_url)
        discovered = await self._discover(versions_url, token_a, version=None, callback=False)
        credentials_url = next(e.url for e in discovered[1] if e.identifier == "credentials")
        token_b = new_token()
        stamp = now()
        pending = Partner(
            partner_id=f"PENDING-{secrets.token_hex(6)}",
            status=PartnerStatus.PENDING,
            token_hash=hash_token(token_b),
            versions_url=versions_url,
            initiated_by="HUB",
            created=stamp,
            updated=stamp,
        )
        await self.store.insert_partner(pending, consume_invitation=None)
        try:
            version = discovered[0]
            mine = await self.hub_credentials(token_b, version=version)
            try:
                if version == V221:
                    old_form = await self.peers.post_credentials(credentials_url, token_a, mine, models_221.Credentials)
                    theirs = credentials_from_221(old_form)
                else:
                    theirs = await self.peers.post_credentials(credentials_url, token_a, mine, Credentials)
            except PeerError as exc:
                raise UnableToUseClientApi(f"the party refused our credentials: {exc}") from exc
            roles = validate_credentials(theirs, self.settings.max_party_roles)
            partner_id = f"{roles[0].country_code}-{roles[0].party_id}"
            await self._check_parties_free(roles, None)
        finally:
            retired = msgspec.structs.replace(pending, status=PartnerStatus.INACTIVE, token_hash=None, updated=now())
            await self.store.replace_partner(retired, expected_token_hash=pending.token_hash)
            self.changed()
        partner = self._partner(partner_id, roles, theirs, token_b, discovered, initiated_by="HUB")
        try:
            await self.store.insert_partner(partner, consume_invitation=None)
        except DuplicateParty as exc:
            raise InvalidOrMissingParameters(str(exc)) from exc
        self.changed()
        log.info(
            "partner %s registered (hub-initiated, OCPI %s): %s at %s",
            partner_id,
            discovered[0],
            _parties(roles),
            redact_url(versions_url),
        )
        await self.announce(partner, "CONNECTED")
        return partner


_RESHAPING_FAULTS = frozenset({Fault.ROLES_PER_INTERFACE, Fault.CREDENTIALS_ROLES_HUB_ONLY, Fault.NO_HUB_PARTY_ID})
"""Fault switches that change what the hub's Credentials list or say; with one on, the answer is encoded whole."""


ROLES_BLOCK = 512
"""Partners per block of the encoded roles (``_EncodedRoles``): a change joins one block again, 0.1 to 0.2 ms in one
process, and an answer walks about 200 blocks at 100,000 partners (0.8 ms with its join)."""


class _Block:
    """Up to ``ROLES_BLOCK`` partners in a row of the text: their roles joined, and where each one's are."""

    __slots__ = ("ids", "spans", "text")

    def __init__(self) -> None:
        self.ids: dict[str, None] = {}
        """The partners of this block, in the order of the party list."""
        self.text: bytes | None = None
        """Their roles joined by commas; None until joined again after a change."""
        self.spans: dict[str, tuple[int, int]] = {}


class _EncodedRoles:
    """Every reachable partner's roles as JSON (roles separated by commas, no brackets), kept between changes of the
    party list in blocks of ``ROLES_BLOCK`` partners, each block's text joined once and each partner's place in it
    known.

    A change touches one block: a partner's new roles are encoded and its block joined again; a partner that leaves
    is taken out of its block; a new one is added to the last block. With 100,000 partners one text of them all took
    70 to 90 ms to join again after any one partner's roles changed or it left, in every process at its next answer,
    during which that process answered nothing else: a party changing its business details at each PUT credentials
    could hold every worker up so. A block is joined in well under a millisecond. The answer is the blocks' texts,
    minus the caller's roles, as pieces for one join.

    The blocks keep the partners in the order of the reachable mapping (a new partner, or one back after leaving, is
    last in both), so an answer equals the Credentials encoded whole.
    """

    __slots__ = ("_added", "_blocks", "_built", "_in", "_parts", "_stale", "block", "walked")

    def __init__(self, block: int | None = None) -> None:
        self.block = ROLES_BLOCK if block is None else block
        self._parts: dict[str, bytes] = {}
        """Each partner's roles encoded, kept until that partner changes."""
        self._blocks: list[_Block] = []
        self._in: dict[str, _Block] = {}
        """Which block holds a partner."""
        self._stale: dict[int, _Block] = {}
        """Blocks to join again at the next answer, by ``id``."""
        self._added: dict[str, None] = {}
        """Partners new to the list since the last answer, to place then (their roles, if any, read then)."""
        self._built = False
        self.walked = 0
        """Partners walked by joins so far (what the tests follow)."""

    def added(self, partner_id: str) -> None:
        """A partner joined the end of the reachable mapping."""
        if self._built:
            self._added[partner_id] = None

    def changed(self, partner_id: str) -> None:
        """A listed partner's roles changed (it keeps its place)."""
        self._parts.pop(partner_id, None)
        held = self._in.get(partner_id)
        if held is not None:
            self._stale[id(held)] = held

    def removed(self, partner_id: str) -> None:
        """A partner left the reachable mapping."""
        self._parts.pop(partner_id, None)
        self._added.pop(partner_id, None)
        held = self._in.pop(partner_id, None)
        if held is not None:
            del held.ids[partner_id]
            self._stale[id(held)] = held

    def _place(self, partner_ids: Iterable[str]) -> None:
        for partner_id in partner_ids:
            if partner_id in self._in:
                continue
            last = self._blocks[-1] if self._blocks else None
            if last is None or len(last.ids) >= self.block:
                last = _Block()
                self._blocks.append(last)
            last.ids[partner_id] = None
            self._in[partner_id] = last
            self._stale[id(last)] = last

    def _join(self, held: _Block, reachable: dict[str, list[CredentialsRole]], encode: Callable[[Any], bytes]) -> None:
        parts = self._parts
        spans: dict[str, tuple[int, int]] = {}
        pieces: list[bytes] = []
        at = 0
        for partner_id in held.ids:
            part = parts.get(partner_id)
            if part is None:
                part = parts[partner_id] = encode(reachable[partner_id])[1:-1]  # the list without its brackets
            if not part:
                continue
            if pieces:
                pieces.append(b",")
                at += 1
            spans[partner_id] = (at, at + len(part))
            pieces.append(part)
            at += len(part)
        self.walked += len(held.ids)
        held.spans = spans
        held.text = b"".join(pieces)

    def without(
        self, reachable: dict[str, list[CredentialsRole]], encode: Callable[[Any], bytes], exclude: str | None
    ) -> list[bytes | memoryview]:
        """The text minus ``exclude``'s roles (and one comma beside them), as pieces to join without copying first."""
        if not self._built:
            self._built = True
            self._place(reachable)
        elif self._added:
            self._place(p for p in self._added if p in reachable)
            self._added.clear()
        if self._stale:
            for held in self._stale.values():
                if held.ids:
                    self._join(held, reachable, encode)
            if any(not held.ids for held in self._stale.values()):
                self._blocks = [held for held in self._blocks if held.ids]
            self._stale.clear()
        pieces: list[bytes | memoryview] = []
        for held in self._blocks:
            text = held.text
            if not text:
                continue
            span = held.spans.get(exclude) if exclude is not None else None
            if pieces:
                pieces.append(b",")
            if span is None:
                pieces.append(text)
                continue
            # the caller's roles go, with one comma beside them: the one before, or the one after when first
            start, end = span
            view = memoryview(text)
            if start:
                pieces.append(view[: start - 1])
                if end < len(text):
                    pieces.append(view[end:])
            elif end < len(text):
                pieces.append(view[end + 1 :])
            elif pieces:
                pieces.pop()  # the block held the caller's roles alone: no comma for it either
        return pieces


def _parties(roles: list[CredentialsRole]) -> str:
    """``CPO NL/ABC, EMSP NL/ABD``: who a platform serves, for a log line."""
    return ", ".join(f"{r.role.value} {r.country_code}/{r.party_id}" for r in roles)


__all__ = (
    "Registrar",
    "check_party_url",
    "credentials_from_221",
    "ensure_registered",
    "ensure_unregistered",
    "validate_credentials",
)
