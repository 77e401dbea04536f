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

import httpx

from conformance.model import Exchange

__all__ = ("AUTH_STYLES", "OcpiClient", "Recorder", "encode_token")

AUTH_STYLES = ("base64", "raw", "none")


def encode_token(token: str) -> str:
    """``Authorization`` value for a credentials token: ``Token`` + base64 of its UTF-8 bytes (RFC 4648 §4).

    Computed, never copied from the spec's examples (which encode a trailing newline).
    """
    return "Token " + base64.b64encode(token.encode("utf-8")).decode("ascii")


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
