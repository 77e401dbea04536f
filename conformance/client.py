"""HTTP client towards the target: OCPI authentication and ids, and a record of every exchange.

Sync httpx (pytest-bdd steps are sync). Nothing is raised for HTTP error statuses or transport
failures: every call returns an :class:`Exchange` and the checks decide what it means.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from conformance.model import Exchange

__all__ = ("AUTH_STYLES", "OcpiClient", "Recorder", "encode_token", "why_unreachable")

AUTH_STYLES = ("base64", "raw", "none")


def encode_token(token: str) -> str:
    """``Authorization`` value for a credentials token: ``Token`` + base64 of its UTF-8 bytes (RFC 4648 §4).

    Computed, never copied from the spec's examples (which encode a trailing newline).
    """
    return "Token " + base64.b64encode(token.encode("utf-8")).decode("ascii")


_DNS = ("name or service not known", "nodename nor servname", "temporary failure in name resolution", "getaddrinfo")


def why_unreachable(exchange: Exchange) -> str:
    """What a request that got no HTTP answer at all ran into, in words a user can act on (a DNS name that does not
    resolve, nothing listening, a TLS failure, a timeout): causes on the network's or the configuration's side."""
    error = exchange.error or "no answer"
    parts = urlsplit(exchange.url)
    host = parts.hostname or exchange.url
    where = parts.netloc or exchange.url
    low = error.lower()
    if any(word in low for word in _DNS):
        return f"the name {host} does not resolve (DNS): check the URL"
    if "ssl" in low or "certificate" in low or "tls" in low:
        return f"the TLS handshake with {where} failed ({error}): check the URL's scheme and the target's certificate"
    if "timeout" in low:
        return f"{where} did not answer in time ({error.split(':', 1)[0]})"
    if "refused" in low or "all connection attempts failed" in low:
        return f"nothing answers at {where} (connection refused): is the target running, and is the URL right?"
    return f"{where} could not be reached ({error})"


class Recorder:
    """Every exchange of a run, in both directions, in the order they started.

    Thread-safe: the embedded peer appends from its own threads while a step waits for a response.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[Exchange] = []

    def add(self, exchange: Exchange) -> None:
        with self._lock:
            self._items.append(exchange)

    def mark(self) -> int:
        """A position to later ask :meth:`since` for."""
        with self._lock:
            return len(self._items)

    def since(self, mark: int) -> list[Exchange]:
        with self._lock:
            return sorted(self._items[mark:], key=lambda e: e.started)

    def inbound_between(self, start: float, end: float) -> list[Exchange]:
        """Callbacks the peer received that started and ended inside ``[start, end]``."""
        with self._lock:
            return [e for e in self._items if e.direction == "inbound" and e.started >= start and e.finished <= end]

    def all(self) -> list[Exchange]:
        with self._lock:
            return list(self._items)


def _wall() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class OcpiClient:
    """Sends OCPI requests to the target and records them."""

    def __init__(self, recorder: Recorder, *, timeout: float = 10.0, user_agent: str = "ocpi-conformance") -> None:
        self.recorder = recorder
        self._http = httpx.Client(timeout=timeout, follow_redirects=False, headers={"User-Agent": user_agent})

    def close(self) -> None:
        self._http.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        token: str | None = None,
        auth: str = "base64",
        authorization: str | None = None,
        json_body: Any = None,
        content: str | bytes | None = None,
        params: Mapping[str, str | int] | None = None,
        headers: Mapping[str, str] | None = None,
        request_id: str | None = None,
        correlation_id: str | None = None,
        label: str = "",
    ) -> Exchange:
        """Send one request.

        Args:
            token: the credentials token to present; encoded per ``auth``.
            auth: ``base64`` (the 2.3.0 form), ``raw`` (pre-2.2 style) or ``none`` (no header).
            authorization: a literal Authorization value, overriding ``token``/``auth``.
            json_body: a value to send as JSON (Content-Type application/json).
            content: raw body text sent as ``application/json`` (for malformed-JSON tests).
            request_id / correlation_id: fixed ids; fresh UUIDs when omitted (``""`` sends no header).
        """
        hdrs: dict[str, str] = {}
        if authorization is not None:
            hdrs["Authorization"] = authorization
        elif token is not None and auth == "base64":
            hdrs["Authorization"] = encode_token(token)
        elif token is not None and auth == "raw":
            hdrs["Authorization"] = f"Token {token}"
        rid = str(uuid.uuid4()) if request_id is None else request_id
        cid = str(uuid.uuid4()) if correlation_id is None else correlation_id
        if rid:
            hdrs["X-Request-ID"] = rid
        if cid:
            hdrs["X-Correlation-ID"] = cid
        body: bytes | None = None
        if json_body is not None:
            body = json.dumps(json_body).encode("utf-8")
            hdrs["Content-Type"] = "application/json"
        elif content is not None:
            body = content.encode("utf-8") if isinstance(content, str) else content
            hdrs["Content-Type"] = "application/json"
        if headers:
            hdrs.update(headers)

        for attempt in range(_RATE_LIMITED_RETRIES + 1):
            exchange = self._send(method, url, params, hdrs, body, label)
            wait = _retry_after(exchange)
            if wait is None or attempt == _RATE_LIMITED_RETRIES:
                return exchange
            exchange.label += f" (HTTP 429: retried after {wait:g} s)"
            time.sleep(wait)
        return exchange

    def _send(
        self,
        method: str,
        url: str,
        params: Mapping[str, str | int] | None,
        hdrs: dict[str, str],
        body: bytes | None,
        label: str,
    ) -> Exchange:
        request = self._http.build_request(method, url, params=params, headers=hdrs, content=body)
        exchange = Exchange(
            direction="outbound",
            method=method,
            url=str(request.url),
            request_headers=[(k, v) for k, v in request.headers.items() if k.lower() not in _NOISE_HEADERS],
            request_body=body.decode("utf-8", "replace") if body is not None else None,
            label=label,
            wall_time=_wall(),
        )
        exchange.started = time.monotonic()
        try:
            response = self._http.send(request)
            exchange.status = response.status_code
            exchange.response_headers = list(response.headers.multi_items())
            exchange.response_body = response.content.decode("utf-8", "replace")
        except httpx.HTTPError as exc:
            exchange.error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        exchange.finished = time.monotonic()
        self.recorder.add(exchange)
        return exchange


_NOISE_HEADERS = {"accept-encoding", "connection", "accept"}

_RATE_LIMITED_RETRIES = 3
_LONGEST_RETRY_AFTER = 15.0


def _retry_after(exchange: Exchange) -> float | None:
    """Seconds to wait before sending a request again that the target refused for its rate (HTTP 429), or None.

    A rate limit says nothing about the rule a scenario judges (the harness's own earlier requests, or another run's
    from the same address, used up the allowance), so the harness waits as told and asks again rather than judging
    the refusal: a second run must see the same answers as the first.
    """
    if exchange.status != 429:
        return None
    raw = exchange.header("retry-after") or "1"
    try:
        seconds = float(raw)
    except ValueError:
        seconds = 1.0
    return min(max(seconds, 0.1), _LONGEST_RETRY_AFTER)
