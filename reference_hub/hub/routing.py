"""Routing between parties: where a functional-module request goes, and forwarding it there.

Classification (the spec's four cases, decided from ``OCPI-to-*``, the method and the content):

- **GET-all via the hub** (a Sender GET-all with TO = the hub, or without TO): answered from the hub's copy.
- **Direct** (TO = a connected party): forwarded to that party's endpoint for the same module and interface, and its
  answer relayed back.
- **Broadcast** (a push with TO = the hub, or without TO, of a module that broadcasts: locations, tariffs, tokens):
  kept in the hub's copy and delivered through the outbox (``hub/outbox.py``) to every connected party with the
  opposite role that implements the Receiver; never a GET, never sessions or CDRs.
- **Open routing** (no TO, content names the receiver): a Session or CDR to the eMSP of its ``cdr_token``, an
  authorization to the token's eMSP, charging preferences to the session's CPO.

A forwarded request gets a new ``X-Request-ID`` and keeps ``X-Correlation-ID``; ``OCPI-from-*`` stays the original
requester's; the body is forwarded byte for byte (so ``last_updated`` is never touched). The relayed answer carries
TO = the requester and FROM = the receiver; a ``Link`` to the receiver's next page becomes the hub's URL for it.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass

import msgspec

from reference_hub.faults import Fault
from reference_hub.hub.client import Answer, OutboundClient, Outcome, redact_url
from reference_hub.hub.directory import Directory
from reference_hub.hub.health import Health, shown_body, shown_headers, stamp
from reference_hub.hub.tokens import TokenVault, authorization_header
from reference_hub.hub.traffic import Exchange, Traffic
from reference_hub.ocpi.errors import (
    ForwardTimeout,
    HubGenericError,
    InvalidOrMissingParameters,
    OcpiError,
    ReceiverNotConnected,
    TooManyRequests,
    UnknownReceiver,
)
from reference_hub.ocpi.headers import new_exchange_id, reply_headers
from reference_hub.ocpi.paths import is_under
from reference_hub.settings import Settings
from reference_hub.store import Partner
from reference_hub.store.desk import KeptExchange

log = logging.getLogger("reference_hub.routing")

_AUTHORIZATIONS_KEPT = 10_000
"""Authorization headers kept per process (one per connected platform; all dropped at once beyond this)."""
_RELAYED_HEADERS = ("x-total-count", "x-limit", "link", "location")
_LINK = re.compile(r"<([^>]*)>\s*;\s*rel=\"?next\"?", re.IGNORECASE)


class _Status(msgspec.Struct):
    status_code: int


_STATUS = msgspec.json.Decoder(_Status)


def status_code_of(body: bytes) -> int | None:
    """The ``status_code`` of an OCPI answer (None: not an OCPI answer)."""
    try:
        return _STATUS.decode(body).status_code
    except (msgspec.MsgspecError, UnicodeDecodeError, RecursionError):
        return None


@dataclass(frozen=True, slots=True)
class Sent:
    """What became of one call to a party: the answer, and its OCPI ``status_code`` (None: no OCPI answer)."""

    answer: Answer
    status_code: int | None


@dataclass(frozen=True, slots=True)
class Relayed:
    """A receiver's answer, ready to go back to the requester."""

    status: int
    body: bytes
    headers: list[tuple[str, str]]
    status_code: int

    @property
    def succeeded(self) -> bool:
        return self.status < 300 and self.status_code == 1000


def endpoint_of(partner: Partner, module: str, interface: str) -> str | None:
    """The partner's advertised URL for ``module`` and ``interface`` (exactly as published)."""
    return next(
        (e.url for e in partner.endpoints if e.identifier == module and e.role.value == interface),
        None,
    )


def join_under(base: str, suffix: str, query: str = "") -> str | None:
    """A receiver's endpoint URL, as it advertised it, with a path suffix built by ``ocpi/paths.build_suffix`` and a
    query; None when the result would not lie under the endpoint (checked on the final URL, whatever built it)."""
    url = base.rstrip("/") + suffix if suffix else base
    if query:
        url = f"{url}?{query}"
    return url if is_under(url, base) else None


def split_party(key: str) -> tuple[str, str]:
    country_code, _, party_id = key.partition("/")
    return country_code, party_id


class Forwarder:
    """Sends one request to one party's endpoint and reads its OCPI answer."""

    def __init__(
        self,
        settings: Settings,
        directory: Directory,
        vault: TokenVault,
        client: OutboundClient,
        traffic: Traffic | None = None,
        health: Health | None = None,
    ) -> None:
        self.settings = settings
        self.directory = directory
        self.vault = vault
        self.client = client
        self.traffic = traffic or Traffic()
        """Recent forwards and per-minute counters (memory only) for the operator dashboard."""
        self.health = health or Health(None)
        """DEGRADED marks and kept exchanges (see ``hub/health.py``)."""
        self._faults = frozenset(settings.faults)
        self._authorizations: dict[tuple[str, bool], list[tuple[str, str]]] = {}
        """The Authorization header for each sealed outgoing token (and whether its party uses raw tokens): opening a
        sealed token (Fernet: an HMAC and AES) on every forward was about a twentieth of a routed request's CPU. A
        rotated token is sealed anew, so it gets an entry of its own; the old one is never used again."""

    async def receiver(self, to: str, partner: Partner | None = None) -> Partner:
        """The connected partner serving party ``to`` (4001 when none); ``partner``: the caller looked it up already
        (the directory is not asked twice), only its state is checked."""
        if partner is None:
            partner = await self.directory.serving(to)
        if partner is None:
            if await self.directory.suspended(to):
                raise ReceiverNotConnected(f"{to} is suspended by the hub's operator")
            raise UnknownReceiver(f"{to} is not a party connected to this hub")
        if partner.offline:
            raise ReceiverNotConnected(f"{to} is offline: the hub's still-alive check cannot reach it")
        return partner

    def authorization(self, partner: Partner) -> tuple[str | None, list[tuple[str, str]]]:
        """``(token for the client to encode, extra headers)``: here always ``None`` and the Authorization header
        itself, ``Token <base64>``, or the raw token for platforms that use raw tokens."""
        sealed = partner.outgoing_token
        if sealed is None:
            raise ReceiverNotConnected(f"the hub holds no token for {partner.partner_id}")
        key = (sealed, partner.raw_token_auth)
        header = self._authorizations.get(key)
        if header is None:
            token = self.vault.decrypt(sealed)
            header = [("Authorization", f"Token {token}" if partner.raw_token_auth else authorization_header(token))]
            if len(self._authorizations) >= _AUTHORIZATIONS_KEPT:
                self._authorizations.clear()
            self._authorizations[key] = header
        return None, header

    async def send(
        self,
        partner: Partner,
        method: str,
        url: str,
        headers: list[tuple[str, str]],
        body: bytes | None,
        *,
        caller: str | None = None,
        sender: str | None = None,
    ) -> Sent:
        """One call to a party with the hub's token for it (encoded the way that party uses tokens): the one way the
        hub sends, for forwarded requests and for the outbox's deliveries alike."""
        token, extra = self.authorization(partner)
        headers = [*headers, *extra]
        if body is not None:
            headers.append(("Content-Type", "application/json"))
        answer = await self.client.call(method, url, token, headers, body, caller=caller, sender=sender)
        return Sent(answer, status_code_of(answer.body) if answer.outcome is Outcome.OK else None)

    async def forward(
        self,
        *,
        to: str,
        sender: str,
        module: str,
        interface: str,
        method: str,
        suffix: str,
        query: str,
        body: bytes | None,
        correlation_id: str,
        caller: str | None,
        hub_base: str,
        on_behalf_of: str | None = None,
        partner: Partner | None = None,
        object_ref: str = "",
    ) -> Relayed:
        """Forward to party ``to`` on behalf of party ``sender`` (of the platform ``on_behalf_of``, whose calls under
        way are bounded by ``party_forwards``); ``hub_base`` is the hub's URL of the same endpoint (for rewriting a
        ``Link``); ``partner``: the receiving platform, when the caller looked it up already."""
        partner = partner or await self.receiver(to)
        base = endpoint_of(partner, module, interface)
        if base is None:
            raise HubGenericError(f"{to} does not implement the {module} {interface} interface")
        url = join_under(base, suffix, query)
        if url is None:
            log.warning("refused to forward outside %s's %s %s endpoint", to, module, interface)
            raise InvalidOrMissingParameters("the URL names no object of the receiver's endpoint")
        to_cc, to_pid = split_party(to)
        from_cc, from_pid = split_party(sender)
        request_id = correlation_id if Fault.REQUEST_ID_REUSED in self._faults else new_exchange_id()
        headers = [("X-Request-ID", request_id), *reply_headers(to_cc, to_pid, from_cc, from_pid)]
        if Fault.CORRELATION_ID_DROPPED not in self._faults:
            headers.append(("X-Correlation-ID", correlation_id))
        started = time.perf_counter()
        status_code: int | None = None
        sent: Sent | None = None
        error = ""
        try:
            sent = await self.send(partner, method, url, headers, body, caller=caller, sender=on_behalf_of)
            relayed = self._relay(sent, to, sender, base, hub_base)
            status_code = relayed.status_code
            return relayed
        except OcpiError as exc:
            status_code, error = exc.status_code, exc.message
            raise
        finally:
            at = time.time()
            self.traffic.note(
                Exchange(
                    at=at,
                    kind="forward",
                    sender=sender,
                    receiver=to,
                    module=module,
                    method=method,
                    status_code=status_code,
                    latency_ms=(time.perf_counter() - started) * 1000,
                    request_id=request_id,
                    correlation_id=correlation_id,
                    error=error,
                )
            )
            if (
                sent is not None
                and sent.answer.outcome is not Outcome.BUSY
                and (error or status_code != 1000 or object_ref or self.health.marked(partner.partner_id))
            ):  # the usual case (answered with 1000, receiver healthy) has nothing to record
                await self._health(
                    partner, sent, error, status_code, at, headers, body, method, url, sender, to, module, object_ref
                )

    async def _health(
        self,
        partner: Partner,
        sent: Sent,
        error: str,
        status_code: int | None,
        at: float,
        headers: list[tuple[str, str]],
        body: bytes | None,
        method: str,
        url: str,
        sender: str,
        to: str,
        module: str,
        object_ref: str,
    ) -> None:
        """After a forward: the receiver's health (a failure marks it DEGRADED, an answer clears that) and, when it was
        not answered with 1000 or carried a stored object (``object_ref``), the exchange kept for the operator."""
        if error:
            await self.health.failed(partner.partner_id, error)
        elif self.health.marked(partner.partner_id):
            await self.health.answered(partner.partner_id)
        if status_code == 1000 and not object_ref:
            return
        answer = sent.answer
        await self.health.keep(
            KeptExchange(
                request_id=next((v for k, v in headers if k == "X-Request-ID"), ""),
                at=stamp(at),
                kind="forward",
                sender=sender,
                receiver=to,
                module=module,
                object_ref=object_ref,
                method=method,
                url=redact_url(url),
                ok=status_code == 1000,
                status_code=status_code,
                http_status=answer.status or None,
                error=error or answer.detail,
                request_headers=shown_headers(headers),
                request_body=shown_body(body),
                answer_body="" if status_code == 1000 else shown_body(answer.body),
                expires=self.health.expires(),
            )
        )

    def _relay(self, sent: Sent, to: str, sender: str, base: str, hub_base: str) -> Relayed:
        answer, status_code = sent.answer, sent.status_code
        if answer.outcome is Outcome.TIMEOUT:
            raise ForwardTimeout(f"{to} did not answer within {self.client.deadline:g} s")
        if answer.outcome is Outcome.BUSY:
            raise TooManyRequests(
                f"this platform has {self.settings.party_forwards} requests to other parties under way through the hub"
                " already; retry after Retry-After seconds",
                retry_after=1,
            )
        if not answer.ok:
            log.info("forward to %s failed: %s", to, answer.detail)
            raise ReceiverNotConnected(f"{to} could not be reached")
        if status_code is None:
            log.info("forward to %s: no OCPI answer (HTTP %s)", to, answer.status)
            raise ReceiverNotConnected(f"{to} gave no usable OCPI answer (HTTP {answer.status})")
        headers: list[tuple[str, str]] = []
        for name, value in answer.headers:
            lowered = name.lower()
            if lowered not in _RELAYED_HEADERS:
                continue
            if lowered == "link":
                value = self.rewrite_link(value, base, hub_base) or ""
                if not value:
                    continue
            headers.append((name, value))
        if Fault.ROUTING_HEADERS_NOT_SWAPPED in self._faults:
            headers += reply_headers(*split_party(to), *split_party(sender))
        else:
            headers += reply_headers(*split_party(sender), *split_party(to))
        return Relayed(answer.status, answer.body, headers, status_code)

    def rewrite_link(self, value: str, base: str, hub_base: str) -> str | None:
        """The receiver's next-page ``Link`` as the hub's URL of the same page (see :func:`rewrite_link`)."""
        if Fault.LINK_NOT_REWRITTEN in self._faults:
            return value
        return rewrite_link(value, base, hub_base)


def rewrite_link(value: str, base: str, hub_base: str) -> str | None:
    """A receiver's next-page ``Link`` header as the hub's URL of the same page; None when it cannot be followed
    through the hub, because it points outside the receiver's endpoint (another host, a dot segment, an encoded
    separator): the requester would follow it with its hub token, and the hub would forward it with its own."""
    match = _LINK.search(value)
    if match is None:
        return None
    target = match.group(1)
    if not is_under(target, base):
        log.info("dropped a Link outside the receiver's endpoint")
        return None
    root = base.rstrip("/")
    return f'<{hub_base}{target[len(root) :]}>; rel="next"'


__all__ = ("Forwarder", "Relayed", "Sent", "endpoint_of", "join_under", "rewrite_link", "split_party", "status_code_of")
