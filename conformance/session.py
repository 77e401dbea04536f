"""The harness's side of one run: its peer, its tokens and what it learnt about the target.

Shared by every scenario of a run (and by the fuzz command). Registration, token rotation and
unregistration happen at most once each, on first need, and their results are kept so that
several scenarios can judge the same handshake (token A is single-use).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode, urlsplit

from conformance import versions as ocpi_versions
from conformance.checks.envelope import describe_answer
from conformance.client import OcpiClient, Recorder, why_unreachable
from conformance.journal import Journal, Undo, journal_path
from conformance.model import Exchange
from conformance.oracle import Operation, get_oracle
from conformance.peer import PeerServer
from conformance.target import Identity, TargetConfig
from conformance.urls import endpoint_url

__all__ = ("CONFIG_MODULES", "INTERFACE_ROLE", "Discovery", "Handshake", "HarnessSession", "ListEndpoint", "ObjectForm")

CONFIG_MODULES = frozenset({"versions", "credentials", "hubclientinfo"})
"""Configuration modules: never routed, so no OCPI-to/from headers."""

RECEIVES = {
    "EMSP": ("locations", "tariffs", "sessions", "cdrs", "invoicereconciliation", "bookings"),
    "CPO": ("tokens", "locations", "commands", "chargingprofiles"),
}
"""Receiver interfaces the peer of an identity implements, by role: what a party of that role is sent (a hub
delivers Sessions and CDRs to the eMSP of their cdr_token, broadcasts Locations and Tariffs to eMSPs, Tokens to
CPOs). The peer keeps what it is sent, so a scenario can assert what the other identity received. The CPO's
locations Receiver is never a broadcast target (a CPO is not of the opposite role): it is there so that a broadcast
coming back to its sender would be seen (routing.broadcast-not-echoed). The eMSP's invoicereconciliation Receiver
takes the records a CPO issues to it (direct billing), its bookings Receiver the CPO's BookingLocations and Bookings."""

SENDS = {"EMSP": ("tokens",), "CPO": ("locations", "bookings")}
"""Sender interfaces the peer of an identity implements, by role: the eMSP's tokens (its list and real-time
authorization), the CPO's locations (a small paginated list, for paging through a hub: routing.link-usable) and
bookings (it answers a BookingRequest with a PENDING Booking, which the harness, as that CPO, later decides)."""


INTERFACE_ROLE: dict[tuple[str, str], str] = {
    **{(m, "SENDER"): "CPO" for m in ("locations", "tariffs", "sessions", "cdrs")},
    **{(m, "RECEIVER"): "EMSP" for m in ("locations", "tariffs", "sessions", "cdrs")},
    ("tokens", "SENDER"): "EMSP",
    ("tokens", "RECEIVER"): "CPO",
    ("commands", "SENDER"): "EMSP",
    ("commands", "RECEIVER"): "CPO",
    ("chargingprofiles", "SENDER"): "SCSP",
    ("chargingprofiles", "RECEIVER"): "CPO",
    ("bookings", "SENDER"): "CPO",
    # the harness issues records as a CPO (direct billing): the eMSP receives them, the CPO lists them
    ("invoicereconciliation", "SENDER"): "CPO",
    ("invoicereconciliation", "RECEIVER"): "EMSP",
    ("bookings", "RECEIVER"): "EMSP",
}
"""The role of a platform that owns each module interface: a platform with several roles is addressed, on each
interface, as the party of that role, and answers from it."""


LIST_DEFAULTS: dict[str, tuple[tuple[str, str], ...]] = {"sessions": (("date_from", "2000-01-01T00:00:00Z"),)}
"""The Sessions list table marks ``date_from`` as required (unlike every other list): a Sender that enforces it is
conforming, so the harness always sends one (far enough back to filter nothing) unless a scenario sets its own."""


@dataclass
class ListEndpoint:
    """A paginated Sender GET the target advertises (module URL + the list operation's suffix)."""

    module: str
    url: str
    suffix: str = ""
    defaults: tuple[tuple[str, str], ...] = ()
    """Query parameters sent on every GET of this list unless the scenario sets them (see ``LIST_DEFAULTS``)."""

    @property
    def name(self) -> str:
        return f"{self.module}{self.suffix} (SENDER)"

    @property
    def plain_url(self) -> str:
        """The list URL with its default query, for a GET that sets no parameters of its own."""
        return self.url + ("?" + urlencode(self.defaults) if self.defaults else "")

    def params(self, **given: Any) -> dict[str, Any]:
        """The defaults, overridden by what the scenario sets."""
        return {**dict(self.defaults), **{k: v for k, v in given.items() if v is not None}}


@dataclass
class Discovery:
    """Versions and the details of the version under test as fetched from the target."""

    versions_exchange: Exchange | None = None
    details_exchange: Exchange | None = None
    versions: list[dict[str, Any]] = field(default_factory=list)
    details_url: str | None = None
    endpoints: list[dict[str, Any]] = field(default_factory=list)
    problem: str | None = None
    """Why discovery failed (None when it worked)."""
    not_judged: str | None = None
    """Set when the cause of ``problem`` is not the target's to answer for (the network, DNS, TLS, or a token the
    target refused: a spent, wrong or revoked one from target.toml): nothing can be judged, and nothing is failed."""

    def url(self, module: str, role: str | None = None) -> str | None:
        """URL of the first endpoint with this identifier (and role, when given), exactly as advertised."""
        for ep in self.endpoints:
            if ep.get("identifier") == module and (role is None or ep.get("role") == role):
                url = ep.get("url")
                return url if isinstance(url, str) else None
        return None


@dataclass
class Handshake:
    """One credentials POST or PUT made by the harness, and the callbacks it caused."""

    kind: str
    """``registration`` or ``update``."""
    exchange: Exchange
    token_name: str
    """The harness token handed over in the body (``B``, ``B2``, ...)."""
    callbacks: list[Exchange] = field(default_factory=list)
    """Requests the peer received while the POST/PUT was open."""
    credentials: dict[str, Any] | None = None
    previous_token: str | None = None
    new_token: str | None = None
    problem: str | None = None
    retried_after: Exchange | None = None
    """The refused minimal-body attempt this handshake retried (None when the first attempt is this one)."""
    not_judged: str | None = None
    """Set when the handshake failed for a cause that is not the target's (no answer, or token A refused)."""

    @property
    def ok(self) -> bool:
        return self.problem is None


@dataclass
class ObjectForm:
    """Which conforming form of a module's objects the target's Receiver takes, learnt from the run's first write to
    it: the smallest (required fields only) or only the fullest (every optional field present, null where the type
    allows). Module writes degrade like the credentials body: the refusal of the smallest is judged once (by
    transport.minimal-objects-accepted) and every later write of the run sends the form that was taken."""

    module: str
    full: bool = False
    minimal_refusal: Exchange | None = None
    """The smallest object's refusal, when the target refused it for its body."""
    accepted: Exchange | None = None
    """The write that was taken (in the form ``full`` says)."""
    refused: Exchange | None = None
    """Set when neither form was taken: the module takes no object of the harness's in this run."""

    @property
    def decided(self) -> bool:
        return self.accepted is not None or self.refused is not None


def _new_token() -> str:
    return secrets.token_urlsafe(32)


class HarnessSession:
    """Everything the harness holds during a run against one target."""

    def __init__(self, config: TargetConfig, recorder: Recorder | None = None) -> None:
        self.config = config
        self.recorder = recorder or Recorder()
        self.client = OcpiClient(self.recorder, timeout=config.timeout)
        self.peer = PeerServer(
            self.recorder,
            config.party,
            host=config.peer.host,
            port=config.peer.port,
            public_url=config.peer.public_url,
            receiver_modules=tuple(
                dict.fromkeys((*config.peer.receiver_modules, *RECEIVES.get(config.party.role, ())))
            ),
            sender_modules=SENDS.get(config.party.role, ()),
            accepts_results=config.party.role == "EMSP",  # response URLs of commands / charging profiles it sends
        )
        self.token_a: str | None = config.token_a
        self.token_a_spent = False
        """True once the harness sent a registration attempt with token A."""
        self.token: str | None = config.token
        """The credentials token (C) the harness currently uses."""
        self.registered = config.token is not None and not config.carried
        """A carried-over token C (:attr:`TargetConfig.carried`) counts once its PUT to this version's credentials
        endpoint was taken."""
        self.registered_by_harness = False
        self.previous_tokens: list[str] = []
        self.deleted_token: str | None = None
        self.harness_tokens: dict[str, str] = {}
        """Name -> value of the tokens the harness handed to the target (B, B2, ...)."""
        self.registration: Handshake | None = None
        self.rotation: Handshake | None = None
        self.unregistration: Exchange | None = None
        self._discovery: Discovery | None = None
        self._target_credentials: dict[str, Any] | None = None
        self.observations: list[str] = []
        self.full_credentials = False
        """True once the target refused the minimal Credentials body: later handshakes send every optional field."""
        self.minimal_registration: Handshake | None = None
        """The first registration attempt, made with the minimal conforming Credentials body."""
        self.pending_notes: list[str] = []
        """Notes a shared helper leaves for the scenario that called it."""
        self._others: dict[str, HarnessSession] = {}
        """The harness's other identities (key: ``CC/PID (ROLE)``), each with its own peer and registration."""
        self.cleanups: list[tuple[str, Undo | Callable[[], object]]] = []
        """What to undo at the end of the run (what the harness created), in order: (description, action). An
        :class:`Undo` is a plain request, also written to the journal; a callable needs this run's state."""
        self.journal: Journal | None = None
        """The run's journal (shared by every identity), when the run has a target file to keep it beside."""
        self.object_forms: dict[str, ObjectForm] = {}
        """Per module, the form of object its Receiver takes (shared by every identity of the run)."""
        self.selected: frozenset[str] = frozenset()
        """Ids of the scenarios this run runs (a knock-on skip may name only one of them as its cause)."""
        self._is_other = False
        """True for the sessions of the identities after the first (the first one owns the journal)."""
        self.handed_over: dict[str, str] = {}
        """Identity key -> token C left registered for the run's next pass (filled by :meth:`close` when
        ``config.hand_over`` names one)."""
        self.run_tag = secrets.token_hex(3).upper()
        """Put in the ids of every object the harness creates, so that two runs never collide (a CDR id, once
        POSTed, can never be reused)."""

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> HarnessSession:
        if self.journal is None and (path := journal_path(self.config.source)) is not None:
            self.journal = Journal(path, self.config.versions_url)
            self.observations += self.journal.recover(self.config.timeout)
        self.peer.start()
        return self

    @property
    def key(self) -> str:
        party = self.config.party
        return f"{party.country_code}/{party.party_id} ({party.role})"

    def close(self, *, cleanup: bool = True) -> None:
        """Retire what the harness created, unregister every identity the harness registered itself and is still
        registered; stop the peers."""
        try:
            if cleanup:
                self.retire_created()
                self._settle_carried()
            for other in self._others.values():
                other.close(cleanup=cleanup)
            may_unregister = self.config.allow_destructive or self.config.read_only  # read-only: leave as found
            for other in self._others.values():
                self.handed_over.update(other.handed_over)
            if cleanup and self.registered and self.config.hand_over and self.token:
                self.handed_over[self.key] = self.token  # the next pass (another version) takes it over
            elif cleanup and self.registered and self.registered_by_harness and may_unregister:
                ex = self.client.request(
                    "DELETE",
                    self._credentials_url() or "",
                    token=self.token,
                    label="clean-up: unregister at the end of the run",
                )
                if ex.status is not None and 200 <= ex.status < 300 and self.journal is not None:
                    self.journal.gone(self.key)
            if cleanup and self.journal is not None and not self._is_other:
                if self.journal.problem:
                    self.observations.append(self.journal.problem)
                self.journal.close()
        finally:
            self.peer.stop()
            self.client.close()

    def _settle_carried(self) -> None:
        """A registration carried over from the previous pass that this pass never used is not left behind: it is
        handed on to the next pass, or, in the last one, moved to this version and then unregistered with the rest."""
        if self._is_other:
            return
        for ident in self.config.identities or ():
            if not ident.carried or ident.party == self.config.party or ident.key in self._others:
                continue
            if self.config.hand_over and ident.token:
                self.handed_over[ident.key] = ident.token
            else:
                self.as_identity(ident).ensure_registered()
        if self.config.carried and self.registration is None:
            if self.config.hand_over and self.token:
                self.handed_over[self.key] = self.token
            else:
                self.ensure_registered()

    # -- identities ---------------------------------------------------------------------------
    def as_role(self, role: str) -> HarnessSession | None:
        """The session of the identity playing ``role`` (this one when the primary identity has it), started on first
        use with its own peer; None when target.toml gives no identity with that role."""
        ident = self.config.identity_for(role)
        return None if ident is None else self.as_identity(ident)

    def as_identity(self, ident: Identity) -> HarnessSession:
        """The session of one identity of target.toml (this one for the primary identity), started on first use."""
        if ident.party == self.config.party:
            return self
        other = self._others.get(ident.key)
        if other is None:
            config = replace(
                self.config,
                party=ident.party,
                token_a=ident.token_a,
                token=ident.token,
                carried=ident.carried,
                # another peer on another port: [peer] names the primary identity's peer; this one has its own
                peer=replace(self.config.peer, port=ident.peer_port, public_url=ident.peer_public_url),
            )
            other = HarnessSession(config, self.recorder)
            other.journal = self.journal
            other.object_forms = self.object_forms
            other.selected = self.selected
            other._is_other = True
            other.start()
            other.run_tag = self.run_tag
            other.observations = self.observations
            self._others[ident.key] = other
        return other

    def on_cleanup(self, what: str, action: Undo | Callable[[], object]) -> None:
        """Undo ``action`` at the end of the run (the target is left as found); an :class:`Undo` is journalled, so
        that a run killed before its end is finished by the next one."""
        self.cleanups.append((what, action))
        if isinstance(action, Undo) and self.journal is not None:
            self.journal.owe(self.key, action)

    def drop_cleanup(self, what: str) -> None:
        """The scenario undid ``what`` itself (e.g. it deleted the tariff it made)."""
        self.cleanups = [c for c in self.cleanups if c[0] != what]
        if self.journal is not None:
            self.journal.paid(self.key, what)

    def _undo(self, action: Undo | Callable[[], object]) -> object:
        if not isinstance(action, Undo):
            return action()
        return self.client.request(
            action.method,
            action.url,
            token=self.token,
            json_body=action.payload(),
            params=action.params,
            headers=action.headers,
            label=action.label,
        )

    def retire_created(self) -> None:
        """Run the clean-up actions (newest first), each recorded as an exchange labelled ``clean-up: ...``."""
        done: list[str] = []
        while self.cleanups:
            what, action = self.cleanups.pop()
            try:
                ex = self._undo(action)
            except Exception as exc:  # a failed clean-up must not hide the run's results
                self.observations.append(f"clean-up failed: {what}: {exc}")
                continue
            finally:
                if self.journal is not None:
                    self.journal.paid(self.key, what)
            if isinstance(ex, Exchange) and not (ex.status is not None and 200 <= ex.status < 300):
                self.observations.append(f"clean-up refused: {what}: {describe_answer(ex)}")
            else:
                done.append(what)
        if done:
            party = f"{self.config.party.country_code}/{self.config.party.party_id}"
            self.observations.append(f"clean-up as {party}: {len(done)} retired ({', '.join(reversed(done))})")

    # -- tokens ------------------------------------------------------------------------------
    @property
    def token_a_unused(self) -> bool:
        return self.token_a is not None and not self.token_a_spent and not self.registered

    def current_token(self) -> str | None:
        """Token C when registered, else token A (for versions and credentials only)."""
        if self.registered or self.config.carried:
            return self.token
        return self.token_a

    def hand_out_token(self) -> tuple[str, str]:
        name = "B" if not self.harness_tokens else f"B{len(self.harness_tokens) + 1}"
        value = _new_token()
        self.harness_tokens[name] = value
        self.peer.accept_token(value, name)
        return name, value

    # -- discovery ---------------------------------------------------------------------------
    def discover(self) -> Discovery:
        """GET the versions list and the details of the version under test (once); endpoints come only from there."""
        if self._discovery is not None:
            return self._discovery
        d = Discovery()
        self._discovery = d
        token = self.current_token()
        ex = self.client.request("GET", self.config.versions_url, token=token, label="discovery: versions")
        d.versions_exchange = ex
        if ex.status is not None and 300 <= ex.status < 400:
            d.problem = f"the versions URL answered with a redirect (HTTP {ex.status} to {ex.header('location')})"
            return d
        data = ex.data if ex.status is not None and 200 <= ex.status < 300 else None
        if not isinstance(data, list):
            d.problem = f"the versions endpoint did not return a list (HTTP {ex.status}, status {ex.ocpi_status})"
            d.not_judged = self._not_judged(ex)
            if d.not_judged:
                d.problem = d.not_judged
            return d
        d.versions = [v for v in data if isinstance(v, dict)]
        version = ocpi_versions.current()
        entry = next((v for v in d.versions if v.get("version") == version), None)
        if entry is None or not isinstance(entry.get("url"), str):
            offered = ", ".join(str(v.get("version")) for v in d.versions) or "none"
            d.problem = f"the versions endpoint does not offer version {version} (it offers: {offered})"
            return d
        d.details_url = entry["url"]
        ex = self.client.request("GET", d.details_url, token=token, label=f"discovery: {version} details")
        d.details_exchange = ex
        if ex.error:
            d.problem = d.not_judged = (
                f"the {version} details URL {d.details_url} could not be reached: {why_unreachable(ex)}"
            )
            return d
        if ex.status is not None and 300 <= ex.status < 400:
            d.problem = (
                f"the {version} details URL answered with a redirect (HTTP {ex.status} to {ex.header('location')})"
            )
            return d
        details = ex.data if ex.status is not None and 200 <= ex.status < 300 else None
        if not isinstance(details, dict) or not isinstance(details.get("endpoints"), list):
            d.problem = (
                f"the {version} version details did not return endpoints (HTTP {ex.status}, status {ex.ocpi_status})"
            )
            return d
        d.endpoints = [e for e in details["endpoints"] if isinstance(e, dict)]
        return d

    def _not_judged(self, versions: Exchange) -> str | None:
        """Why the versions GET tells nothing about the target: no answer at all, or the token target.toml gave was
        refused (a token A spent by an earlier registration, a wrong or revoked token C); None when the answer is the
        target's own to be judged on."""
        if versions.error:
            return f"the target could not be reached: {why_unreachable(versions)}"
        if versions.status in (401, 403):
            if self.registered:
                which = "token C"
                what = "it is wrong, or the target has revoked it; register again with a new token A"
            else:
                which = "token A"
                what = (
                    "it is wrong, or already used by an earlier registration; ask the target's operator for a new one"
                )
            return (
                f"the target refused the {which} target.toml gives (HTTP {versions.status} on the versions URL): {what}"
            )
        if versions.status == 404 and versions.ocpi_status is None:
            return f"nothing OCPI answers at {versions.url} (HTTP 404 without an OCPI envelope): check versions_url"
        return None

    def _credentials_url(self) -> str | None:
        return self.discover().url("credentials")

    def list_endpoints(self) -> list[ListEndpoint]:
        """Every paginated Sender GET the target advertises (as openapi.yaml defines them)."""
        d = self.discover()
        oracle = get_oracle()
        out: list[ListEndpoint] = []
        for ep in d.endpoints:
            module, role, url = ep.get("identifier"), ep.get("role"), ep.get("url")
            if role != "SENDER" or not isinstance(url, str) or module in ("credentials", "versions"):
                continue
            for op in oracle.operations:
                if op.module != module or op.interface != "SENDER" or op.method != "GET":
                    continue
                params = oracle.document["paths"][op.path]["get"].get("parameters", [])
                names = {p.get("$ref", "").rsplit("/", 1)[-1] for p in params}
                if {"Offset", "Limit"} <= names and "{" not in op.suffix:
                    defaults = LIST_DEFAULTS.get(str(module), ())
                    out.append(ListEndpoint(module, endpoint_url(url, op.suffix), op.suffix, defaults))
        return out

    def endpoint_of(self, exchange: Exchange) -> tuple[str, str | None, str] | None:
        """(module, interface, the rest of the path) of an outbound request of this run, from the URL the target
        advertised that it extends (the longest one); versions and version details by their own URLs."""
        d = self.discover()
        parts = urlsplit(exchange.url)
        path = parts.path
        for url, module in ((self.config.versions_url, "versions"), (d.details_url, "versions")):
            if url and urlsplit(url).netloc == parts.netloc and urlsplit(url).path.rstrip("/") == path.rstrip("/"):
                return module, None, ""
        best: tuple[str, str | None, str] | None = None
        best_len = -1
        for ep in d.endpoints:
            advertised, ident, role = ep.get("url"), ep.get("identifier"), ep.get("role")
            if not isinstance(advertised, str) or not isinstance(ident, str):
                continue
            base = urlsplit(advertised)
            prefix = base.path.rstrip("/")
            if (
                base.netloc == parts.netloc
                and (path == prefix or path.startswith(prefix + "/"))
                and len(prefix) > best_len
            ):
                interface = None if ident == "credentials" else str(role)
                best, best_len = (ident, interface, path[len(prefix) :].rstrip("/")), len(prefix)
        return best

    def operation_of(self, exchange: Exchange) -> Operation | None:
        """The openapi.yaml operation an outbound request of this run called (None when it names none)."""
        where = self.endpoint_of(exchange)
        if where is None:
            return None
        module, interface, rest = where
        oracle = get_oracle()
        if module == "versions":
            same = urlsplit(exchange.url).path.rstrip("/") == urlsplit(self.config.versions_url).path.rstrip("/")
            return oracle.versions_list() if same else oracle.versions_details()
        return oracle.operation_at(module, interface, exchange.method, rest)

    def get_endpoints(self) -> list[tuple[str, str, str | None]]:
        """(name, url, module) of every GET the harness may call: versions, details, credentials, lists."""
        d = self.discover()
        out: list[tuple[str, str, str | None]] = [("versions", self.config.versions_url, "versions")]
        if d.details_url:
            out.append(("version details", d.details_url, "versions"))
        cred = d.url("credentials")
        if cred:
            out.append(("credentials", cred, "credentials"))
        out += [(le.name, le.plain_url, le.module) for le in self.list_endpoints()]
        return out

    # -- credentials handshakes ----------------------------------------------------------------
    def adopt_credentials(self, exchange: Exchange) -> str | None:
        """If a credentials POST/PUT was accepted, switch to the token it returned.

        Accepted means HTTP 2xx with a Credentials object carrying a token, whatever the
        status_code says: a target that answers a working registration with a wrong code is judged
        for that code, and the rest of the run can still go on with the token it issued.
        """
        data = exchange.data
        if (
            exchange.status is not None
            and 200 <= exchange.status < 300
            and isinstance(data, dict)
            and isinstance(data.get("token"), str)
            and data["token"]
        ):
            if self.token and self.token != data["token"]:
                self.previous_tokens.append(self.token)
            self.token = data["token"]
            self.registered = True
            self._target_credentials = data
            if self.journal is not None:
                unregister = self.config.token_a is not None or self.config.carried
                self.journal.registered(self.key, self.token, self._credentials_url() or "", unregister=unregister)
            return data["token"]
        return None

    def credentials_body(self, token: str) -> dict[str, Any]:
        """The Credentials body the harness sends: minimal, or the fullest once the target refused the minimal one."""
        return self.peer.credentials_for(token, full=self.full_credentials)

    def accepted_credentials_body(self, token: str) -> dict[str, Any]:
        """A Credentials body the target is known to take, for a request whose answer must depend on something else
        (the 405 rules): the form its registration in this run took; the fullest before (or without) one."""
        taken_minimal = self.registration is not None and self.registration.ok and not self.full_credentials
        return self.peer.credentials_for(token, full=not taken_minimal)

    def _handshake(self, kind: str, method: str, token: str | None, body_extra: dict[str, Any] | None) -> Handshake:
        url = self._credentials_url()
        name, value = self.hand_out_token()
        body = self.credentials_body(value)
        if body_extra:
            body = _merge_extra(body, body_extra)
        previous = self.token
        ex = self.client.request(
            method,
            url or self.config.versions_url,
            token=token,
            json_body=body,
            label=f"credentials {method} ({kind}) handing over token {name}",
        )
        hs = Handshake(kind=kind, exchange=ex, token_name=name, previous_token=previous)
        hs.callbacks = self.recorder.inbound_between(ex.started, ex.finished)
        new = self.adopt_credentials(ex)
        if new is not None:
            hs.new_token = new
            hs.credentials = ex.data
        if new is None or ex.ocpi_status != 1000:
            answer = describe_answer(ex) if ex.status is not None else f"no answer ({ex.error})"
            hs.problem = f"the target did not accept the credentials {method}: {answer}"
            if ex.error:
                hs.not_judged = f"the target could not be reached for the credentials {method}: {why_unreachable(ex)}"
            elif kind == "registration" and ex.status in (401, 403):
                hs.not_judged = (
                    f"the target refused the token A target.toml gives (HTTP {ex.status} on the credentials POST): "
                    "it is wrong, or already used by an earlier registration; ask the target's operator for a new one"
                )
        return hs

    def ensure_registered(self) -> Handshake | None:
        """Register with token A once. None when the harness was configured with a token C.

        With a token C carried over from the run's previous pass, the registration at this pass's version is a
        credentials PUT to this version's endpoint: the target fetches the peer's versions (only this one) anew.
        """
        if self.config.carried and self.registration is None:
            d = self.discover()
            if d.problem or not d.url("credentials"):
                ex = d.details_exchange or d.versions_exchange
                assert ex is not None
                problem = d.problem or f"the {ocpi_versions.current()} details list no credentials endpoint"
                self.registration = Handshake("registration", ex, "", problem=problem)
                return self.registration
            self.registration = self._handshake("registration", "PUT", self.token, None)
            self.registered_by_harness = self.registered
            return self.registration
        if self.registration is not None or self.config.token_a is None:
            return self.registration
        if self.registered:
            return None
        d = self.discover()
        if d.problem or not d.url("credentials"):
            ex = d.details_exchange or d.versions_exchange
            assert ex is not None
            self.registration = Handshake(
                "registration",
                ex,
                "",
                problem=d.problem or f"the {ocpi_versions.current()} details list no credentials endpoint",
            )
            return self.registration
        self.token_a_spent = True
        hs = self._handshake("registration", "POST", self.token_a, None)
        self.minimal_registration = hs
        if not self.registered and _refused_for_its_body(hs.exchange):
            # Keep testing: the refusal of the minimal body is judged by credentials.minimal-body-accepted, and the
            # rest of the run goes on with the fullest conforming body (every optional field filled in).
            self.full_credentials = True
            hs = self._handshake("registration", "POST", self.token_a, None)
            hs.retried_after = self.minimal_registration.exchange
        self.registration = hs
        if self.registered:
            self.registered_by_harness = True
        return hs

    def rotate(self, *, body_extra: dict[str, Any] | None = None) -> Handshake:
        """PUT new credentials (a fresh token B') with the current token C."""
        return self._handshake("update", "PUT", self.token, body_extra)

    def ensure_rotated(self) -> Handshake:
        if self.rotation is None:
            self.rotation = self.rotate()
        return self.rotation

    def ensure_unregistered(self) -> Exchange:
        """DELETE the registration once (first retiring what this identity created: its token dies with it)."""
        if self.unregistration is None:
            self.retire_created()
            url = self._credentials_url() or self.config.versions_url
            token = self.token
            ex = self.client.request("DELETE", url, token=token, label="credentials DELETE (unregister)")
            self.unregistration = ex
            if ex.status is not None and 200 <= ex.status < 300:  # the status_code is judged by the scenario
                self.registered = False
                self.deleted_token = token
                if self.journal is not None:
                    self.journal.gone(self.key)
        return self.unregistration

    # -- routing headers ---------------------------------------------------------------------
    def target_party(self, module: str | None = None, interface: str = "SENDER") -> tuple[str, str] | None:
        """The party the harness addresses on a functional module's ``interface`` of the target, from the target's
        own Credentials object.

        A hub names itself in ``hub_party_id`` (country code + party id; without it, the first of its roles, where a hub
        lists itself before the parties reachable through it). A platform with several roles answers each
        interface as the role that owns it (its eMSP party for a locations Receiver, its CPO party for a locations
        Sender, ...: :data:`INTERFACE_ROLE`); a platform with one role is that party. Roles of the harness's own
        identities (a hub lists the parties reachable through it) are never the target. ``None`` when the target's
        Credentials object could not be read (the harness then sends only its own ``OCPI-from-*``).
        """
        creds = self._target_credentials
        if creds is None and self.registered and self.token:
            url = self._credentials_url()
            if url:
                ex = self.client.request("GET", url, token=self.token, label="credentials GET (whom to address)")
                creds = ex.data if isinstance(ex.data, dict) else {}
                self._target_credentials = creds
        if not creds:
            return None
        hub = creds.get("hub_party_id")
        if isinstance(hub, str) and len(hub) == 5:
            return hub[:2].upper(), hub[2:].upper()
        roles = [
            (str(r.get("role")), r["country_code"].upper(), r["party_id"].upper())
            for r in creds.get("roles") or []
            if isinstance(r, dict) and isinstance(r.get("country_code"), str) and isinstance(r.get("party_id"), str)
        ]
        if "HUB" in self.config.roles:  # a hub without hub_party_id: its own party comes first in its roles
            return (roles[0][1], roles[0][2]) if roles else None
        own = {(i.party.country_code, i.party.party_id) for i in self.config.identities}
        theirs = [r for r in roles if (r[1], r[2]) not in own] or roles
        wanted = INTERFACE_ROLE.get((module or "", interface))
        chosen = next((r for r in theirs if r[0] == wanted), theirs[0] if theirs else None)
        return (chosen[1], chosen[2]) if chosen else None

    def routing_headers(self, module: str | None, interface: str = "SENDER") -> dict[str, str]:
        """The OCPI routing headers for a request to ``module``'s ``interface`` of the target: none on configuration
        modules; on functional modules the harness's party as FROM and, as TO, the target's party that owns that
        interface (a hub itself, also for "GET all via hub")."""
        if module is None or module in CONFIG_MODULES:
            return {}
        party = self.config.party
        out = {"OCPI-from-country-code": party.country_code, "OCPI-from-party-id": party.party_id}
        to = self.target_party(module, interface)
        if to is not None:
            out["OCPI-to-country-code"], out["OCPI-to-party-id"] = to
        return out

    def peer_path(self, url: str) -> str:
        return urlsplit(url).path.rstrip("/")

    def received(
        self,
        match: Callable[[Exchange], bool],
        *,
        until: float,
        since: float = 0.0,
        done: Callable[[list[Exchange]], bool] = bool,
    ) -> list[Exchange]:
        """Requests this identity's peer received (started at or after ``since``) that ``match`` accepts, polled until
        ``done(found)`` (by default: one was found) or ``time.monotonic()`` reaches ``until``."""
        netloc = urlsplit(self.peer.base_url).netloc
        while True:
            found = [
                e
                for e in self.recorder.all()
                if e.direction == "inbound" and e.started >= since and urlsplit(e.url).netloc == netloc and match(e)
            ]
            if done(found) or time.monotonic() >= until:
                return found
            time.sleep(0.05)


def _refused_for_its_body(exchange: Exchange) -> bool:
    """A credentials POST refused for what its body holds (HTTP 400/422, or an OCPI 2xxx client error) rather than
    for the token (401/403), the method (405) or a callback failure (3xxx)."""
    status, code = exchange.status, exchange.ocpi_status
    if status in (400, 422):
        return True
    return status is not None and 200 <= status < 300 and code is not None and 2000 <= code < 3000


def _merge_extra(body: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Add fields from ``extra`` at any depth (lists: merged into each element), keeping ``body``'s values."""
    out = dict(body)
    for key, value in extra.items():
        if key in out and isinstance(out[key], dict) and isinstance(value, dict):
            out[key] = _merge_extra(out[key], value)
        elif key in out and isinstance(out[key], list) and isinstance(value, dict):
            out[key] = [_merge_extra(item, value) if isinstance(item, dict) else item for item in out[key]]
        elif key not in out:
            out[key] = value
    return out
