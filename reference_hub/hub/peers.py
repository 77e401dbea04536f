"""The OCPI calls of the credentials handshake (versions, version details, credentials POST), made through the
outbound client (``hub/client.py``) and read as OCPI envelopes.

What the caller of a registration is told names the OCPI step that failed and, when the hub's own rules stopped it,
the rule (outbound policy, answer size). It never tells a closed port from an open service that does not speak OCPI
or from one that answered an HTTP error: all three read "no usable OCPI answer", so registration cannot be used to
map a network. The operator's log has the detail.
"""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

import msgspec

from reference_hub.hub.client import Answer, OutboundClient, Outcome, redact_url
from reference_hub.ocpi.codec import Codec
from reference_hub.ocpi.models import Version, VersionDetails
from reference_hub.ocpi.versions import SERVED, highest_common

T = TypeVar("T")

_MESSAGE_LIMIT = 200
"""Characters of a party's own status_message repeated to our caller."""


class PeerError(Exception):
    """A party's endpoint could not be used; the message says which step failed (never a token)."""

    def __init__(self, message: str, outcome: Outcome = Outcome.UNREACHABLE) -> None:
        super().__init__(message)
        self.outcome = outcome


class CallerBusy(PeerError):
    """The token behind this request already has calls to parties under way."""


class _Reply(msgspec.Struct):
    status_code: int
    data: msgspec.Raw = msgspec.Raw(b"null")
    status_message: str | None = None


_REPLY = msgspec.json.Decoder(_Reply)


class PeerClient:
    """The handshake calls; one instance per app, over the process's outbound client."""

    def __init__(self, codec: Codec, client: OutboundClient) -> None:
        self._codec = codec
        self.client = client

    async def close(self) -> None:
        await self.client.close()

    async def _call(
        self, step: str, method: str, url: str, token: str, type_: type[T], body: Any = None, caller: str | None = None
    ) -> T:
        headers = [("X-Request-ID", str(uuid.uuid4())), ("X-Correlation-ID", str(uuid.uuid4()))]
        content = None
        if body is not None:
            headers.append(("Content-Type", "application/json"))
            content = self._codec.encode(body)
        answer = await self.client.call(method, url, token, headers, content, caller=caller)
        if answer.ok and answer.status == 401:
            # Many 2.1.1/2.2 platforms expect the raw token; OCPI 2.3.0 says base64. Try the legacy form once.
            raw = [*headers, ("Authorization", f"Token {token}")]
            answer = await self.client.call(method, url, None, raw, content, caller=caller)
        return self._read(step, url, answer, type_)

    def _read(self, step: str, url: str, answer: Answer, type_: type[T]) -> T:
        where = f"{step} ({redact_url(url)})"
        if answer.outcome is Outcome.BUSY:
            raise CallerBusy("a call to a party on behalf of this token is already under way", Outcome.BUSY)
        if answer.outcome is Outcome.REFUSED:
            reason = answer.detail.rpartition(": ")[2]
            raise PeerError(f"{where}: not called, the hub's outbound policy refuses it: {reason}", Outcome.REFUSED)
        if answer.outcome is Outcome.TOO_LARGE:
            raise PeerError(
                f"{where}: the answer is longer than the hub reads ({self.client.max_answer} bytes)", Outcome.TOO_LARGE
            )
        unusable = PeerError(f"{where}: no usable OCPI answer", answer.outcome)
        if not answer.ok:
            raise unusable
        try:
            reply = _REPLY.decode(answer.body)
        except (msgspec.MsgspecError, UnicodeDecodeError, RecursionError) as exc:
            raise unusable from exc
        if answer.status >= 300 or reply.status_code != 1000:
            said = (reply.status_message or "")[:_MESSAGE_LIMIT]
            raise PeerError(
                f"{where}: answered HTTP {answer.status}, OCPI status_code {reply.status_code} {said}".rstrip()
            )
        try:
            return self._codec.decode(bytes(reply.data), type_)
        except Exception as exc:
            name = getattr(type_, "__name__", "body")
            raise PeerError(f"{where}: answered an invalid {name}: {str(exc)[:_MESSAGE_LIMIT]}") from exc

    async def versions(self, url: str, token: str, caller: str | None = None) -> list[Version]:
        return await self._call("versions", "GET", url, token, list[Version], caller=caller)

    async def details(self, url: str, token: str, caller: str | None = None) -> VersionDetails:
        return await self._call("version details", "GET", url, token, VersionDetails, caller=caller)

    async def post_credentials(
        self, url: str, token: str, credentials: Any, answer: type[T], caller: str | None = None
    ) -> T:
        """Our Credentials POSTed to a party (in its version's form); its own Credentials back, as ``answer``."""
        return await self._call("credentials POST", "POST", url, token, answer, credentials, caller=caller)

    async def discover(
        self, versions_url: str, token: str, caller: str | None = None, *, version: str | None = None
    ) -> tuple[str, VersionDetails]:
        """Versions, then the details of ``version`` (None: the highest the hub serves among those offered). Raises
        PeerError (-> 3001) or LookupError when no version fits."""
        versions = await self.versions(versions_url, token, caller)
        offered = {v.version: v for v in versions}
        chosen = version if version in offered else None if version is not None else highest_common(offered)
        if chosen is None:
            shown = ", ".join(v.version[:16] for v in versions[:10]) or "none"
            wanted = f"OCPI {version}" if version is not None else f"a version this hub serves ({', '.join(SERVED)})"
            raise LookupError(f"the party offers no {wanted} (offers: {shown})")
        return chosen, await self.details(offered[chosen].url, token, caller)


__all__ = ("CallerBusy", "PeerClient", "PeerError")
