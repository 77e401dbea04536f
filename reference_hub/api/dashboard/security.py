"""Sign-in, sessions and cross-site request protection for the operator dashboard.

- **Sessions** are stateless signed cookies (``<expiry>.<nonce>.<mac>``, HMAC-SHA256 under a key derived from the
  admin key), so every worker process accepts them without a session table, and changing the admin key signs everyone
  out. The cookie is HttpOnly, ``SameSite=Strict``, scoped to ``/admin`` and ``Secure`` whenever the hub is reached
  (or advertised) over HTTPS. Signing out clears the cookie and revokes its nonce in this process; with several
  workers another process accepts a copied cookie until it expires (``SESSION_SECONDS``).
- **Cross-site requests**: every form carries a token bound to the session (or, for the sign-in form, to a
  pre-sign-in cookie), and every POST is refused unless that token matches and the browser's ``Origin`` /
  ``Sec-Fetch-Site`` headers, when sent, say the request came from the dashboard itself.
- **Failed sign-ins** are answered only after a delay that doubles with the address's recent failures, and count
  against the address in the hub's one failed-authentication limiter (``hub/ratelimit.py``, shared with OCPI tokens
  and the admin API), which locks the address out: every sign-in from it is then refused, the right key included.
  The key itself is compared in constant time and never written to a page, a URL or a log.
- **Named operators** sign in with their own name and password (an Argon2id hash in the store, checked by
  ``argon2-cffi``); their failures count in the same limiter. The session cookie carries the name and role under its
  MAC, so a viewer cannot make itself an operator.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from litestar import Request

from reference_hub.hub.operators import OPERATOR_NAME
from reference_hub.hub.tokens import secret_matches

SESSION_COOKIE = "ocpi_hub_session"
SIGNIN_COOKIE = "ocpi_hub_signin"
COOKIE_PATH = "/admin"
SESSION_SECONDS = 8 * 3600
"""A session lasts a working day; then the operator signs in again."""
FAILURE_WINDOW = 900.0
"""Failed sign-ins an address made in the last this many seconds set its delay."""
FIRST_DELAY = 0.5
"""Seconds before the first failed sign-in is answered; doubles with each further failure, up to ``MAX_DELAY``."""
MAX_DELAY = 8.0
_MAX_ADDRESSES = 10_000

SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
}
"""On every dashboard answer: nothing is cached or framed, and only the dashboard's own assets run."""


def _mac(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


ADMIN = "admin key"
"""Who a session signed in with the admin key is, in the audit log."""


@dataclass(frozen=True, slots=True)
class Session:
    """A signed-in operator."""

    nonce: str
    expires: int
    csrf: str
    """The token every form of this session must carry."""
    operator: str = ADMIN
    role: str = "operator"
    """``viewer`` reads every page and changes nothing; ``operator`` (and the admin key) also acts."""

    @property
    def can_act(self) -> bool:
        return self.role == "operator"


@dataclass
class Gatekeeper:
    """Everything above, for one admin key."""

    admin_key: str
    clock: Callable[[], float] = time.time
    first_delay: float = FIRST_DELAY
    _key: bytes = field(init=False, repr=False)
    _revoked: dict[str, int] = field(default_factory=dict, repr=False)
    _failures: dict[str, deque[float]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._key = hmac.new(self.admin_key.encode(), b"ocpi-hub dashboard session v1", hashlib.sha256).digest()

    # --- the key ------------------------------------------------------------------------------------------------

    def key_matches(self, candidate: str) -> bool:
        """Constant-time comparison (of digests, so the lengths do not leak either)."""
        return secret_matches(candidate, self.admin_key)

    # --- sessions -----------------------------------------------------------------------------------------------

    def new_session(self, operator: str = ADMIN, role: str = "operator") -> tuple[str, Session]:
        """A new session: its cookie value and what it grants (who signed in and with which role, signed with it)."""
        nonce = secrets.token_urlsafe(18)
        expires = int(self.clock()) + SESSION_SECONDS
        who = "" if operator == ADMIN else operator
        payload = f"{expires}.{nonce}:{role}:{who}"
        return f"{payload}.{_mac(self._key, payload)}", self._session(f"{nonce}:{role}:{who}", expires)

    def _session(self, nonce: str, expires: int) -> Session:
        _nonce, _, rest = nonce.partition(":")
        role, _, who = rest.partition(":")
        return Session(
            nonce=nonce,
            expires=expires,
            csrf=_mac(self._key, f"csrf.{nonce}"),
            operator=who or ADMIN,
            role=role if role == "viewer" else "operator",
        )

    def session(self, request: Request[Any, Any, Any]) -> Session | None:
        """The request's valid session, if it has one."""
        value = request.cookies.get(SESSION_COOKIE) or ""
        parts = value.split(".")
        if len(parts) != 3 or len(value) > 200:
            return None
        expires_text, nonce, mac = parts
        if not hmac.compare_digest(mac, _mac(self._key, f"{expires_text}.{nonce}")):
            return None
        try:
            expires = int(expires_text)
        except ValueError:
            return None
        if expires <= self.clock() or nonce in self._revoked:
            return None
        return self._session(nonce, expires)

    def revoke(self, session: Session) -> None:
        """Sign-out: this process refuses the nonce from now on (until the session would have expired anyway)."""
        now = self.clock()
        for nonce in [n for n, until in self._revoked.items() if until <= now]:
            del self._revoked[nonce]
        self._revoked[session.nonce] = session.expires

    # --- the sign-in form ---------------------------------------------------------------------------------------

    @staticmethod
    def new_signin_nonce() -> str:
        return secrets.token_urlsafe(18)

    def signin_csrf(self, nonce: str) -> str:
        """The token the sign-in form carries, bound to the pre-sign-in cookie."""
        return _mac(self._key, f"signin.{nonce}")

    # --- cross-site checks --------------------------------------------------------------------------------------

    @staticmethod
    def same_origin(request: Request[Any, Any, Any], public_url: str = "") -> bool:
        """False when the browser says the request came from another site: ``Sec-Fetch-Site`` other than
        same-origin, or an ``Origin`` that is neither the requested host nor the hub's advertised ``public_url`` (a
        TLS proxy in front may rewrite the Host header)."""
        headers = request.headers
        fetch_site = headers.get("sec-fetch-site")
        if fetch_site is not None and fetch_site not in ("same-origin", "none"):
            return False
        origin = headers.get("origin")
        if origin is None:
            return True
        host = headers.get("host", "")
        parts = urlsplit(public_url)
        advertised = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None
        return origin in (f"http://{host}", f"https://{host}", advertised)

    @staticmethod
    def token_matches(given: str | None, wanted: str) -> bool:
        return bool(given) and hmac.compare_digest(str(given), wanted)

    # --- failed sign-ins ----------------------------------------------------------------------------------------

    def _recent(self, address: str) -> deque[float]:
        now = self.clock()
        found = self._failures.get(address)
        if found is None:
            if len(self._failures) >= _MAX_ADDRESSES:
                address = "*"  # bounded memory: a flood from very many addresses is counted together
            found = self._failures.setdefault(address, deque())
        while found and found[0] <= now - FAILURE_WINDOW:
            found.popleft()
        return found

    def failed(self, address: str) -> float:
        """Count a failure; the seconds to wait before answering it."""
        recent = self._recent(address)
        recent.append(self.clock())
        return min(self.first_delay * 2 ** (len(recent) - 1), MAX_DELAY)


def cookie_secure(request: Request[Any, Any, Any], base_url: str) -> bool:
    """Mark cookies Secure when the dashboard is reached or advertised over HTTPS (behind a TLS proxy too)."""
    return request.url.scheme == "https" or base_url.startswith("https://")


__all__ = (
    "ADMIN",
    "COOKIE_PATH",
    "OPERATOR_NAME",
    "SECURITY_HEADERS",
    "SESSION_COOKIE",
    "SESSION_SECONDS",
    "SIGNIN_COOKIE",
    "Gatekeeper",
    "Session",
    "cookie_secure",
)
