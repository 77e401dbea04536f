"""The machine's ceiling: a one-route Litestar app that answers every GET with one fixed OCPI envelope.

It reads nothing and validates nothing, so under the same server (granian, 2 workers, uvloop), the same load tool and
the same client-side checks it shows what a request costs before any OCPI work: the benchmark reports the hub's
throughput as a ratio of this one, measured in the same run.

    granian --interface asgi --workers 2 --loop uvloop --port 8081 loadtests.bare_app:app
"""

from __future__ import annotations

from datetime import UTC, datetime

from litestar import Litestar, get
from litestar.response.base import ASGIResponse
from litestar.types import Receive, Scope, Send

__all__ = ("app",)

# One answer for every path: a versions list of one version, with a fixed timestamp. The hub's answers are larger (two
# versions; 2.4 KB of endpoints in the 2.3.0 details); answers of the hub's sizes were measured to change this
# endpoint's CPU per request by about 1% (BENCHMARKS.md, "The token phases on a slower machine").
BODY = (
    b'{"data":[{"version":"2.3.0","url":"http://127.0.0.1:8080/ocpi/2.3.0"}],"status_code":1000,"timestamp":"'
    + datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    + b'"}'
)


class _Fixed(ASGIResponse):
    """The cheapest answer Litestar lets a handler give: a finished ASGI response, sent as is (the hub answers the
    same way, so the ratio measures OCPI work, not a difference in how responses are built)."""

    def __init__(self) -> None:
        pass

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": _HEADERS})
        await send({"type": "http.response.body", "body": BODY, "more_body": False})


_HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]


@get("/{path:path}", sync_to_thread=False)
def anything(path: str) -> _Fixed:
    return _Fixed()


app = Litestar(route_handlers=[anything], openapi_config=None, debug=False)
