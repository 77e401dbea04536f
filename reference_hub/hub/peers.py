"""Calls the hub makes to parties: their versions, version details and credentials endpoints."""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

import httpx
import msgspec

from reference_hub import OCPI_VERSION
from reference_hub.hub.tokens import authorization_header
from reference_hub.ocpi.codec import Codec
from reference_hub.ocpi.models import Credentials, Version, VersionDetails

T = TypeVar("T")


class PeerError(Exception):
    """A party's endpoint could not be used; the message says which call failed and why (never the token)."""


class _Reply(msgspec.Struct):
    status_code: int
    data: msgspec.Raw = msgspec.Raw(b"null")
    status_message: str | None = None


class PeerClient:
    """An httpx client shared by the process; one instance per app."""

    def __init__(self, codec: Codec, *, timeout: float) -> None:
        self._codec = codec
        self._http = httpx.AsyncClient(timeout=timeout, follow_redirects=False)

    async def close(self) -> None:
        await self._http.aclose()

    async def _call(self, method: str, url: str, token: str, type_: type[T], body: Any = None) -> T:
        headers = {
            "Authorization": authorization_header(token),
            "X-Request-ID": str(uuid.uuid4()),
            "X-Correlation-ID": str(uuid.uuid4()),
        }
        content = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            content = self._codec.encode(body)
        try:
            response = await self._http.request(method, url, headers=headers, content=content)
            if response.status_code == 401:
                # Many 2.1.1/2.2 platforms expect the raw token; OCPI 2.3.0 says base64. Try the legacy form once.
                headers["Authorization"] = f"Token {token}"
                response = await self._http.request(method, url, headers=headers, content=content)
        except httpx.HTTPError as exc:
            raise PeerError(f"{method} {url} failed: {type(exc).__name__}: {exc}") from exc
        if response.status_code >= 300:
            raise PeerError(f"{method} {url} answered HTTP {response.status_code}")
        try:
            reply = msgspec.json.decode(response.content, type=_Reply)
        except msgspec.MsgspecError as exc:
            raise PeerError(f"{method} {url} did not answer an OCPI envelope: {exc}") from exc
        if reply.status_code != 1000:
            raise PeerError(
                f"{method} {url} answered status_code {reply.status_code}: {reply.status_message or ''}".rstrip()
            )
        try:
            return self._codec.decode(bytes(reply.data), type_)
        except Exception as exc:
            raise PeerError(
                f"{method} {url} answered an invalid {type_.__name__ if hasattr(type_, '__name__') else 'body'}: {exc}"
            ) from exc

    async def versions(self, url: str, token: str) -> list[Version]:
        return await self._call("GET", url, token, list[Version])

    async def details(self, url: str, token: str) -> VersionDetails:
        return await self._call("GET", url, token, VersionDetails)

    async def post_credentials(self, url: str, token: str, credentials: Credentials) -> Credentials:
        return await self._call("POST", url, token, Credentials, credentials)

    async def discover(self, versions_url: str, token: str) -> tuple[str, VersionDetails]:
        """Versions, then the 2.3.0 details. Raises PeerError (-> 3001) or LookupError when 2.3.0 is not offered."""
        versions = await self.versions(versions_url, token)
        match = next((v for v in versions if v.version == OCPI_VERSION), None)
        if match is None:
            offered = ", ".join(v.version for v in versions) or "none"
            raise LookupError(f"the party offers no OCPI {OCPI_VERSION} (offers: {offered})")
        return match.url, await self.details(match.url, token)


__all__ = ("PeerClient", "PeerError")
