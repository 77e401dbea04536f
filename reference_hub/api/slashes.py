"""Fault switches about trailing slashes, applied before routing as the web frameworks that cause them do.

``trailing_slash_endpoints``: the version details advertise every endpoint with a trailing slash, and requests in that
form are served exactly like the slash-less ones (a conforming deviation: a harness must pass everything).
``slashless_redirect``: the endpoints are advertised without the slash but served only with it; the advertised form
is answered HTTP 307 with a ``Location`` carrying the slash, as many frameworks do by default.

The path the caller used is kept in the scope so that a ``Link`` header points at the URL the caller requested.
"""

from __future__ import annotations

from litestar.types import ASGIApp, Receive, Scope, Send

from reference_hub.faults import Fault

ORIGINAL_PATH_KEY = "ocpi_original_path"
"""Scope key: the request path before a trailing slash was removed for routing."""

__all__ = ("ORIGINAL_PATH_KEY", "slash_fault_middleware")


def slash_fault_middleware(faults: tuple[str, ...], base_url: str, endpoint_paths: frozenset[str]) -> type:
    """An ASGI middleware class for the slash faults (only mounted when one of them is on)."""
    redirect = Fault.SLASHLESS_REDIRECT in faults

    class SlashFaults:
        def __init__(self, app: ASGIApp) -> None:
            self.app = app

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http":
                # Routing has already dropped a trailing slash from ``path``; ``raw_path`` is what the caller sent.
                raw = (scope.get("raw_path") or b"").decode("latin-1")
                if redirect and raw in endpoint_paths:
                    query = scope.get("query_string") or b""
                    location = f"{base_url}{raw}/" + (f"?{query.decode('latin-1')}" if query else "")
                    await send(
                        {
                            "type": "http.response.start",
                            "status": 307,
                            "headers": [(b"location", location.encode("latin-1")), (b"content-length", b"0")],
                        }
                    )
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
                    return
                if raw.endswith("/") and raw[:-1] in endpoint_paths:
                    scope[ORIGINAL_PATH_KEY] = raw  # type: ignore[literal-required]
            await self.app(scope, receive, send)

    return SlashFaults
