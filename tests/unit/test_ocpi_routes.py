"""``api/routes.OcpiRoute``: the exception handlers of a route, resolved at its first request and kept, are the ones
Litestar would resolve at every request (every layer's, the nearest winning), and they still answer errors."""

from __future__ import annotations

from litestar import Controller, HttpMethod, Litestar, Request, Response, Router
from litestar.testing import TestClient

from reference_hub.api.routes import OcpiRoute, ocpi_route


class Teapot(Exception):
    pass


def _app_level(request: Request, exc: Exception) -> Response[str]:  # type: ignore[type-arg]
    return Response("app", status_code=500)


def _router_level(request: Request, exc: Exception) -> Response[str]:  # type: ignore[type-arg]
    return Response("router", status_code=418)


class Pot(Controller):
    path = "/pot"

    @ocpi_route(HttpMethod.GET, "/brew", sync_to_thread=False)
    def brew(self) -> str:
        raise Teapot


def test_exception_handlers_resolved_once_are_the_layers_own_and_still_answer() -> None:
    router = Router(path="/", route_handlers=[Pot], exception_handlers={Teapot: _router_level})
    app = Litestar(route_handlers=[router], exception_handlers={Exception: _app_level, Teapot: _app_level})
    [handler] = [h for route in app.routes for h in route.route_handlers if isinstance(h, OcpiRoute)]  # type: ignore[attr-defined]
    with TestClient(app) as client:
        for _ in range(2):  # the second request is answered from the kept map
            answer = client.get("/pot/brew")
            assert (answer.status_code, answer.text) == (418, "router")
    kept = handler.resolve_exception_handlers()
    assert kept is handler.resolve_exception_handlers()  # resolved once
    layered = super(OcpiRoute, handler).resolve_exception_handlers()  # what Litestar works out each time
    assert kept == layered and kept is not layered
    assert kept[Teapot] is _router_level and kept[Exception] is _app_level
