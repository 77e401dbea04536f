"""Every call the hub makes to a party goes through :class:`OutboundClient`, which applies one policy to all of them.

- **Where**: ``http`` and ``https`` only, no user name or password in the URL, no control characters or spaces. The
  host name is resolved here and the connection goes to the address that was checked (the TLS handshake still
  verifies the name), so a name that resolves, or re-resolves, to a refused address cannot slip through. Link-local
  and cloud metadata addresses are always refused; loopback and private ranges unless ``allow_private_peers``.
- **How long**: one overall deadline per call (connect, send, the whole answer), not a per-read timeout.
- **How much**: the answer is streamed and abandoned once it passes ``peer_max_answer`` bytes.
- **How many**: at most ``peer_concurrency`` calls at once to one party (scheme, host and port; more wait within their
  deadline), ``caller_concurrency`` on behalf of one registration token and ``party_forwards`` on behalf of one
  platform's forwarded requests (more are refused at once), so a few slow parties or one busy platform cannot take
  the connection pool from everyone else.
- **No redirects**: a 3xx is an answer like any other error, never followed.

:meth:`OutboundClient.call` never raises for the party's behaviour: it returns an :class:`Answer` whose
:class:`Outcome` tells a timeout (OCPI 4002 when forwarding) from an unreachable party (4003), a refusal by the
policy, an over-long answer and a busy caller. ``Answer.detail`` is for the operator's log; what a caller is told
must not reveal more than the OCPI step that failed (see ``hub/peers.py``), or the hub becomes a port scanner.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import logging
import re
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING
from urllib.parse import SplitResult, urlsplit, urlunsplit

from yarl import URL

from reference_hub.hub.tokens import authorization_header

if TYPE_CHECKING:
    import aiohttp

log = logging.getLogger("reference_hub.outbound")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
"""``(host, port) -> addresses``; the default asks the system resolver. Tests may pass a fake one."""

POOL_CONNECTIONS = 256
"""Connections the process keeps to all parties together; per-party and per-caller bounds keep any one party or token
from taking them all."""

_ALWAYS_REFUSED = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",  # "this network": 0.0.0.0 reaches the local host on Linux
        "169.254.0.0/16",  # IPv4 link-local, where cloud metadata services live (169.254.169.254)
        "100.100.100.200/32",  # a cloud metadata address outside link-local
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, and the broadcast address
        "::/128",  # unspecified
        "fe80::/10",  # IPv6 link-local
        "fd00:ec2::254/128",  # a cloud metadata address in the unique-local range
        "ff00::/8",  # multicast
    )
)
_UNSAFE_URL_CHARS = re.compile(r"[\x00-\x20\x7f]")
"""Spaces and control characters, which no URL the hub calls may contain (one regular-expression search per call: a
scan character by character in Python was most of the policy's cost per call)."""


class Outcome(StrEnum):
    """What became of one outbound call."""

    OK = "OK"
    """The party answered (any HTTP status; ``Answer.status`` says which)."""
    TIMEOUT = "TIMEOUT"
    """The overall deadline passed (a forwarded request: OCPI 4002)."""
    UNREACHABLE = "UNREACHABLE"
    """No usable HTTP answer: name not resolved, connection refused or reset, not HTTP (forwarding: OCPI 4003)."""
    REFUSED = "REFUSED"
    """The URL or its address is not allowed by the outbound policy; nothing was sent."""
    TOO_LARGE = "TOO_LARGE"
    """The answer passed ``peer_max_answer`` bytes and was abandoned."""
    BUSY = "BUSY"
    """The token (``caller_concurrency``) or the platform (``party_forwards``) on whose behalf the call was made already
    has that many calls under way."""


@dataclass(frozen=True, slots=True)
class Answer:
    """The result of :meth:`OutboundClient.call`."""

    outcome: Outcome
    status: int = 0
    """HTTP status (0 when there was no answer)."""
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    detail: str = ""
    """What happened, for the operator's log (never contains a token; URLs are redacted)."""

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.OK

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)


class PolicyRefusal(Exception):
    """The URL or the address it resolves to is not allowed; the message names the rule, never a token."""


@dataclass(frozen=True, slots=True)
class OutboundPolicy:
    """Which URLs and addresses the hub may call."""

    allow_private: bool = False

    def check_url(self, url: str) -> SplitResult:
        """Parse ``url`` and refuse what no party URL may be; the address is checked later, on connect."""
        if not isinstance(url, str) or not url:
            raise PolicyRefusal("the URL is empty")
        if _UNSAFE_URL_CHARS.search(url):
            raise PolicyRefusal("the URL contains spaces or control characters")
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise PolicyRefusal(f"the URL cannot be parsed ({exc})") from exc
        if parts.scheme not in ("http", "https"):
            raise PolicyRefusal("only http and https URLs are called")
        if not parts.hostname:
            raise PolicyRefusal("the URL has no host")
        if parts.username is not None or parts.password is not None:
            raise PolicyRefusal("the URL carries a user name or password; the hub authenticates with OCPI tokens only")
        if port == 0:
            raise PolicyRefusal("the URL names port 0")
        return parts

    def check_address(self, address: str) -> None:
        """Refuse an address the hub must not connect to."""
        try:
            ip: IPAddress = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError as exc:
            raise PolicyRefusal("the host did not resolve to an IP address") from exc
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if any(ip in net for net in _ALWAYS_REFUSED):
            raise PolicyRefusal("the host is a link-local, metadata or otherwise reserved address, never called")
        if not ip.is_global and not self.allow_private:
            raise PolicyRefusal(
                "the host is a loopback or private address, not called unless allow_private_peers is set"
            )


def redact_url(url: str) -> str:
    """``url`` with any password replaced by ``***`` (user names are kept: they identify, passwords authenticate)."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit(parts._replace(netloc=netloc))
    except ValueError:
        return "<unparseable URL>"


async def system_resolver(host: str, port: int) -> Sequence[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    return True


_AUTHORITY = re.compile(r"[^:/?#]+://[^/?#]*")
"""Scheme and authority at the start of a URL: what ``urlsplit`` takes as scheme and ``netloc`` (the authority ends
at the first ``/``, ``?`` or ``#``), so every rule of :meth:`OutboundPolicy.check_url` that reads the scheme, host,
port or user information gives the same verdict on this part as on the whole URL."""


@functools.lru_cache(maxsize=4096)
def _verdict(policy: OutboundPolicy, where: str) -> tuple[str, str] | str:
    """``(origin, host)`` of a URL that begins with ``where`` (its scheme and authority), or why the policy refuses
    it: a URL given as such, or a host that is a refused IP address (the connector resolves names only, so an address
    is checked here; a name is checked on connect, every time, by the pinned resolver).

    Cached by scheme and authority: a party's are the same on every call while its paths vary, and parsing the whole
    URL and the host on each call was a measurable part of a forward's CPU. The policy is frozen, so a cached verdict
    cannot go stale."""
    try:
        parts = policy.check_url(where)
    except PolicyRefusal as exc:
        return str(exc)
    host = parts.hostname or ""
    if _is_ip(host):
        try:
            policy.check_address(host.split("%", 1)[0])
        except PolicyRefusal as exc:
            return str(exc)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{host}:{port}", host  # urlsplit lower-cases the scheme and the host name


class _Gate:
    __slots__ = ("semaphore", "users")

    def __init__(self, limit: int) -> None:
        self.semaphore = asyncio.Semaphore(limit)
        self.users = 0


class KeyedLimit:
    """At most ``limit`` holders per key; a key's bookkeeping disappears when nobody holds or waits for it, so the
    number of keys ever seen does not grow memory.

    :meth:`take`, :meth:`acquire` and :meth:`release` are what every outbound call uses: plain calls rather than an
    async context manager, because a generator-based context manager costs a few microseconds per call and each
    forwarded request passes two of these limits. :meth:`slot` wraps them for everyone else.
    """

    def __init__(self, limit: int) -> None:
        self.limit = max(1, limit)
        self._gates: dict[str, _Gate] = {}

    def busy(self, key: str) -> int:
        gate = self._gates.get(key)
        return 0 if gate is None else gate.users

    def _gate(self, key: str) -> _Gate:
        gate = self._gates.get(key)
        if gate is None:
            gate = self._gates[key] = _Gate(self.limit)
        return gate

    async def take(self, key: str) -> bool:
        """Hold one of the key's slots if one is free now; False: none is, and nothing is held. (A semaphore that is
        not locked is acquired without suspending, so this never waits.)"""
        gate = self._gate(key)
        if gate.semaphore.locked():
            if gate.users == 0:
                self._gates.pop(key, None)
            return False
        gate.users += 1
        await gate.semaphore.acquire()
        return True

    async def acquire(self, key: str) -> None:
        """Hold one of the key's slots, waiting for one (the caller bounds the wait; a cancelled wait holds nothing)."""
        gate = self._gate(key)
        gate.users += 1
        try:
            await gate.semaphore.acquire()
        except BaseException:
            self._left(key, gate)
            raise

    def release(self, key: str) -> None:
        """Give back a slot :meth:`take` or :meth:`acquire` gave."""
        gate = self._gates[key]
        gate.semaphore.release()
        self._left(key, gate)

    def _left(self, key: str, gate: _Gate) -> None:
        gate.users -= 1
        if gate.users == 0:
            self._gates.pop(key, None)

    @asynccontextmanager
    async def slot(self, key: str, *, wait: bool) -> AsyncIterator[bool]:
        """Hold one of the key's slots; yields False (holding nothing) when ``wait`` is off and none is free."""
        if wait:
            await self.acquire(key)
        elif not await self.take(key):
            yield False
            return
        try:
            yield True
        finally:
            self.release(key)


class OutboundClient:
    """One per process: a connection pool behind the outbound policy and limits described in the module docstring."""

    def __init__(
        self,
        *,
        deadline: float,
        max_answer: int,
        per_party: int,
        per_caller: int,
        per_sender: int = 256,
        allow_private: bool,
        resolver: Resolver | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.deadline = deadline
        self.max_answer = max_answer
        self.policy = OutboundPolicy(allow_private=allow_private)
        self.per_party = KeyedLimit(per_party)
        self.per_caller = KeyedLimit(per_caller)
        self.per_sender = KeyedLimit(per_sender)
        self._resolve = resolver or system_resolver
        self._ssl: ssl.SSLContext | bool = ssl_context if ssl_context is not None else True
        self._session: aiohttp.ClientSession | None = None
        # Set with the pool (hub/outbound_pool.py, where aiohttp is imported): the exceptions that are a timeout or an
        # unreachable party; until then, the standard library's part of the latter.
        self._timeouts: tuple[type[BaseException], ...] = ()
        self._failures: tuple[type[BaseException], ...] = (OSError, ssl.SSLError, ValueError)

    def _pool(self) -> aiohttp.ClientSession:
        """The keep-alive pool, opened on first use (an aiohttp session belongs to the running event loop).

        aiohttp rather than httpcore: measured on this machine (``python tools/outbound_clients.py``), one call cost the
        calling process about a tenth of the CPU time, and a routed request is mostly the outbound call. Nothing is
        added to what is sent (no automatic User-Agent or Accept-Encoding) and answers are read as sent (no automatic
        decompression), so the cap applies to the bytes on the wire. aiohttp's own timeouts are off: the one overall
        deadline (:meth:`_bounded`) covers the connect, the send and the whole answer, and aiohttp's default (a
        five-minute total) would only arm and cancel a second timer on every call. aiohttp itself is imported here, on
        first use, so that the command line's commands, which never call out, do not pay for importing it.
        """
        if self._session is None or self._session.closed:
            from reference_hub.hub import outbound_pool  # imported at start-up by a served hub (reference_hub/app.py)

            self._session = outbound_pool.open_pool(self.policy, self._resolve, self._ssl, limit=POOL_CONNECTIONS)
            self._timeouts, self._failures = outbound_pool.TIMEOUTS, outbound_pool.FAILURES
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def call(
        self,
        method: str,
        url: str,
        token: str | None = None,
        headers: Sequence[tuple[str, str]] = (),
        body: bytes | None = None,
        *,
        caller: str | None = None,
        sender: str | None = None,
    ) -> Answer:
        """Call ``url``; ``token`` goes into ``Authorization: Token <base64>`` (the caller adds nothing for it),
        ``caller`` names whose request caused the call (a token hash) for the per-caller bound, ``sender`` the
        platform on whose behalf a request is forwarded, for the per-sender bound."""
        # The whole URL is searched for spaces and control characters; the rest of the policy reads only its scheme
        # and authority, whose verdict is cached (see _verdict).
        if not isinstance(url, str) or not url or _UNSAFE_URL_CHARS.search(url):
            try:
                self.policy.check_url(url)
            except PolicyRefusal as exc:
                return self._done(Answer(Outcome.REFUSED, detail=f"{method} {redact_url(url)}: {exc}"))
        where = _AUTHORITY.match(url)
        verdict = _verdict(self.policy, url if where is None else where.group(0))
        if isinstance(verdict, str):
            return self._done(Answer(Outcome.REFUSED, detail=f"{method} {redact_url(url)}: {verdict}"))
        origin = verdict[0]
        shown = f"{method} {url}"  # check_url refuses a URL with a password, so there is nothing to redact
        out_headers = list(headers)
        if token is not None:
            out_headers.append(("Authorization", authorization_header(token)))
        if body is not None:
            out_headers.append(("Content-Length", str(len(body))))
        key, limit = (sender, self.per_sender) if sender is not None else (caller, self.per_caller)
        if key is None:
            return await self._bounded(method, url, origin, out_headers, body, shown)
        if not await limit.take(key):
            who = "sender" if sender is not None else "caller"
            return self._done(Answer(Outcome.BUSY, detail=f"{shown}: the {who} has calls under way already"))
        try:
            return await self._bounded(method, url, origin, out_headers, body, shown)
        finally:
            limit.release(key)

    async def _bounded(
        self, method: str, url: str, origin: str, headers: list[tuple[str, str]], body: bytes | None, shown: str
    ) -> Answer:
        """The exchange under the overall deadline, which includes the wait for a slot of the party."""
        per_party = self.per_party
        try:
            async with asyncio.timeout(self.deadline):
                await per_party.acquire(origin)
                try:
                    return self._done(await self._exchange(method, url, headers, body, shown))
                finally:
                    per_party.release(origin)
        except TimeoutError:
            return self._done(Answer(Outcome.TIMEOUT, detail=f"{shown}: no complete answer within {self.deadline}s"))

    async def _exchange(
        self, method: str, url: str, headers: list[tuple[str, str]], body: bytes | None, shown: str
    ) -> Answer:
        try:
            async with self._pool().request(
                method, URL(url, encoded=True), headers=headers, data=body, allow_redirects=False
            ) as response:
                declared = response.content_length
                if declared is not None:
                    if declared > self.max_answer:
                        return Answer(Outcome.TOO_LARGE, response.status, detail=f"{shown}: declares {declared} bytes")
                    # The parser stops at the declared length, so the cap holds without counting chunks here (the
                    # usual case, and one await instead of a loop).
                    content = await response.content.read()
                else:
                    chunks: list[bytes] = []
                    size = 0
                    async for chunk in response.content.iter_any():
                        size += len(chunk)
                        if size > self.max_answer:
                            return Answer(
                                Outcome.TOO_LARGE, response.status, detail=f"{shown}: over {self.max_answer} bytes"
                            )
                        chunks.append(chunk)
                    content = b"".join(chunks)
                decoded = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in response.raw_headers]
                return Answer(Outcome.OK, response.status, decoded, content, f"{shown}: HTTP {response.status}")
        except PolicyRefusal as exc:
            return Answer(Outcome.REFUSED, detail=f"{shown}: {exc}")
        except self._timeouts as exc:
            return Answer(Outcome.TIMEOUT, detail=f"{shown}: {type(exc).__name__}")
        except self._failures as exc:
            return Answer(Outcome.UNREACHABLE, detail=f"{shown}: {type(exc).__name__}: {exc}")

    @staticmethod
    def _done(answer: Answer) -> Answer:
        if answer.outcome is not Outcome.OK:
            log.info("outbound call %s: %s", answer.outcome.value, answer.detail)
        return answer


__all__ = (
    "Answer",
    "KeyedLimit",
    "OutboundClient",
    "OutboundPolicy",
    "Outcome",
    "PolicyRefusal",
    "redact_url",
    "system_resolver",
)
