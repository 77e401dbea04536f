"""``create_app(settings)``: the HTTP application around the hub's services (built by ``hub/services.py``), the only
place where the HTTP layer's routers, hooks and middleware are put together."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, Router
from litestar.types import Receive, Scope, Send

from reference_hub.api.auth import authenticate, check_limits, request_done
from reference_hub.api.context import HUB_SCOPE_KEY
from reference_hub.api.dashboard import Gatekeeper, dashboard_routers, template_config
from reference_hub.api.errors import EXCEPTION_HANDLERS
from reference_hub.api.registry import MODULES, route_handlers
from reference_hub.api.slashes import slash_fault_middleware
from reference_hub.api.system import AdminController, SystemController
from reference_hub.api.versions import DETAILS, VersionsController
from reference_hub.api.wrapped import WrappedData
from reference_hub.faults import Fault
from reference_hub.hub import outbound_pool  # noqa: F401  (aiohttp, loaded before the first outbound call, not at it)
from reference_hub.hub.services import HubContext, build_context
from reference_hub.ocpi import translate
from reference_hub.settings import Settings


class HubApp(Litestar):
    """Litestar, plus the three things every OCPI request needs around the whole of it: the hub's context in the
    request's scope (``api.context.hub_of``), the end of its count among its platform's requests under way
    (``api.auth.request_done``), however it ends, and its count among the requests the process serves (the delivery
    worker paces announcements while requests come in: ``Deliveries.served``). Done here rather than in a middleware: a
    Litestar middleware makes Litestar wrap every route in a second exception-handling layer, and both cost more per
    request than the token check does."""

    hub: HubContext | None = None
    """Set by the lifespan once the hub's services are built."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # type: ignore[override]
        if scope["type"] != "http" or self.hub is None:
            await super().__call__(scope, receive, send)
            return
        scope[HUB_SCOPE_KEY] = self.hub  # type: ignore[literal-required]
        self.hub.deliveries.served += 1  # the delivery worker paces announcements while requests come in
        try:
            await super().__call__(scope, receive, send)
        finally:
            request_done(scope)


def create_app(settings: Settings) -> Litestar:
    """The hub as an ASGI application."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with build_context(settings) as ctx:
            # Every partner read once, before the first request, for the views that hold them all (the deliveries'
            # receivers, the Credentials' reachable roles; after this each change reads only what changed). Read at
            # their first use instead (the first broadcast, the first GET credentials), it stalled every request to
            # this worker meanwhile: 0.75 s with 100,000 partners. The roles are encoded for the Credentials then too.
            await ctx.deliveries.active_partners()
            await ctx.registrar.encode_roles(ctx.codec.encode)
            translate.prepare()  # every 2.2.1 <-> 2.3.0 plan, so a rule that cannot apply stops the worker here
            app.state.hub = ctx
            if isinstance(app, HubApp):
                app.hub = ctx
            # Everything built so far lives as long as the process: move it out of the collector's generations so
            # that the collections triggered by request garbage do not walk the whole application each time.
            gc.freeze()
            workers = [
                asyncio.create_task(ctx.deliveries.run(), name="deliveries"),
                asyncio.create_task(ctx.liveness.run(), name="still-alive check"),
                asyncio.create_task(ctx.callbacks.run(), name="response URL clean-up"),
            ]
            if ctx.auth.index is not None:
                workers.append(asyncio.create_task(ctx.auth.index.run(), name="token index"))
            try:
                yield
            finally:
                if isinstance(app, HubApp):
                    app.hub = None
                for worker in workers:
                    worker.cancel()
                for worker in workers:
                    with contextlib.suppress(asyncio.CancelledError):
                        await worker

    # Every OCPI route authenticates before anything else runs (api/auth.py); health, docs and admin do not.
    ocpi = Router(
        path="/", route_handlers=[VersionsController, *DETAILS, *route_handlers()], before_request=authenticate
    )
    # The other routes only check the request-size limits.
    system = Router(path="/", route_handlers=[SystemController, AdminController], before_request=check_limits)
    routers = [system, ocpi]
    # The operator dashboard exists only when an admin key is set; it adds routes under /admin and nothing else, so
    # the OCPI routes and their hooks are the same with or without it.
    dashboard = bool(settings.admin_key)
    if dashboard:
        routers += dashboard_routers(check_limits)
    middleware: list[Any] = []
    if settings.has_fault(Fault.TRAILING_SLASH_ENDPOINTS) or settings.has_fault(Fault.SLASHLESS_REDIRECT):
        paths = frozenset(m.path for modules in MODULES.values() for m in modules)
        middleware.append(slash_fault_middleware(settings.faults, settings.base_url, paths))
    if settings.has_fault(Fault.DATA_WRAPPED_IN_LIST):
        middleware.append(WrappedData)
    app = HubApp(
        route_handlers=routers,
        middleware=middleware,
        request_max_body_size=settings.max_body_size,
        lifespan=[lifespan],
        exception_handlers=EXCEPTION_HANDLERS,
        template_config=template_config() if dashboard else None,
        openapi_config=None,
        # logging is configured once for the whole process (reference_hub/logs.py), so every line has one format
        logging_config=None,
        debug=False,
    )
    if settings.admin_key:
        app.state.dashboard = Gatekeeper(settings.admin_key)
    return app


__all__ = ("build_context", "create_app")
