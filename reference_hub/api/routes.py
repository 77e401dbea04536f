"""The route handler class of every OCPI route: Litestar's, with its exception handlers resolved once.

On every request Litestar asks the matched route handler for its exception handlers, and the handler works them out
anew each time: it walks its layers (route, controller, router, app) into a new list and merges their maps into a new
dict. They cannot change once the app is built, yet that walk was about 1 µs of a versions GET's 20 in one process,
the most of any one step of the framework's on the token-validation path (``tools/inprocess_cpu.py tokens``, 19.0 and
19.3 µs before, 18.0 and 18.2 with the answer kept). The first request keeps the answer; by then the handler has its
place among the layers (controllers copy their handlers when the app is built, before any request).
"""

from __future__ import annotations

from typing import Any

from litestar import HttpMethod
from litestar.handlers import HTTPRouteHandler
from litestar.types import ExceptionHandlersMap


class OcpiRoute(HTTPRouteHandler):
    """:class:`litestar.handlers.HTTPRouteHandler` (what ``@get``, ``@post``... make) that resolves its exception
    handlers at the first request only."""

    _exception_handlers: ExceptionHandlersMap | None = None

    def resolve_exception_handlers(self) -> ExceptionHandlersMap:
        resolved = self._exception_handlers
        if resolved is None:
            resolved = self._exception_handlers = super().resolve_exception_handlers()
        return resolved


def ocpi_route(method: HttpMethod, path: str | None = None, **kwargs: Any) -> OcpiRoute:
    """An OCPI route handler for ``method`` on ``path`` (the decorator ``@get(path, ...)`` would make, as an
    :class:`OcpiRoute`)."""
    return OcpiRoute(path, http_method=method, **kwargs)


__all__ = ("OcpiRoute", "ocpi_route")
