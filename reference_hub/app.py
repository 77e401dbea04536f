"""``create_app(settings)``: the only place where the wire, store, hub and HTTP layers are wired together."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from litestar import Litestar, Router

from reference_hub.api.auth import authenticate, check_limits, requests_under_way
from reference_hub.api.context import HubContext
from reference_hub.api.dashboard import Gatekeeper, dashboard_routers, template_config
from reference_hub.api.errors import EXCEPTION_HANDLERS
from reference_hub.api.registry import MODULES, route_handlers
from reference_hub.api.slashes import slash_fault_middleware
from reference_hub.api.system import AdminController, SystemController
from reference_hub.api.versions import VersionsController
from reference_hub.faults import Fault
from reference_hub.hub.auth import Authenticator
from reference_hub.hub.callbacks import Callbacks
from reference_hub.hub.client import OutboundClient
from reference_hub.hub.credentials import Registrar
from reference_hub.hub.directory import Directory
from reference_hub.hub.liveness import Liveness
from reference_hub.hub.objects import Objects
from reference_hub.hub.outbox import Deliveries
from reference_hub.hub.payments import Payments
from reference_hub.hub.peers import PeerClient
from reference_hub.hub.ratelimit import FailedAuthLimiter
from reference_hub.hub.routing import Forwarder
from reference_hub.hub.tokens import TokenVault
from reference_hub.ocpi.codec import Codec
from reference_hub.settings import Settings
from reference_hub.store import Store, open_store
from reference_hub.store.sqlite import SqliteStore


def key_file(settings: Settings, store: Store) -> Path | None:
    """Where the token-sealing keys live when they come from a file: ``secret_key_file``, else beside a SQLite
    database (None: from the ``secret_key`` setting, or nowhere for an in-memory store)."""
    if settings.secret_key:
        return None
    if settings.secret_key_file:
        return Path(settings.secret_key_file).expanduser()
    if isinstance(store, SqliteStore) and store.path != ":memory:":
        return Path(store.path + ".key")
    return None


def make_vault(settings: Settings, store: Store) -> TokenVault:
    """The keys that seal outgoing tokens: the ``secret_key`` setting, else a key file (see :func:`key_file`)."""
    if settings.secret_key:
        return TokenVault.from_setting(settings.secret_key)
    path = key_file(settings, store)
    if path is not None:
        return TokenVault.from_key_file(path)
    if isinstance(store, SqliteStore):
        return TokenVault.ephemeral()
    raise ValueError(
        "set secret_key_file (a file for the token-sealing key, kept away from the data) or secret_key "
        "(OCPI_HUB_SECRET_KEY, a Fernet key) when the store is not a SQLite file"
    )


@asynccontextmanager
async def build_context(settings: Settings) -> AsyncIterator[HubContext]:
    """Open the store and build the hub's services; close them afterwards (used by the app and the CLI)."""
    store = open_store(settings.store)
    await store.open()
    codec = Codec(offset_timestamps=settings.has_fault(Fault.OFFSET_TIMESTAMPS))
    peers = PeerClient(
        codec,
        OutboundClient(
            deadline=settings.callback_timeout,
            max_answer=settings.peer_max_answer,
            per_party=settings.peer_concurrency,
            per_caller=settings.caller_concurrency,
            per_sender=settings.party_forwards,
            allow_private=settings.allow_private_peers,
        ),
    )
    try:
        auth = Authenticator(store, accept_any_token=settings.has_fault(Fault.ACCEPT_ANY_TOKEN))
        registrar = Registrar(settings, store, auth, make_vault(settings, store), peers)
        limiter = FailedAuthLimiter(settings.auth_failure_limit, settings.auth_failure_window, settings.auth_lockout)
        directory = Directory(store)
        forwarder = Forwarder(settings, directory, registrar.vault, peers.client)
        deliveries = Deliveries(settings, store, directory, forwarder, peers.client)
        registrar.status_listeners.append(deliveries.client_info)
        liveness = Liveness(settings, store, forwarder, peers.client, deliveries)
        yield HubContext(
            settings=settings,
            codec=codec,
            store=store,
            auth=auth,
            registrar=registrar,
            directory=directory,
            objects=Objects(settings, store, codec),
            forwarder=forwarder,
            deliveries=deliveries,
            liveness=liveness,
            limiter=limiter,
            requests={},
            bodies={},
            callbacks=Callbacks(settings, store, deliveries),
            payments=Payments(store, codec),
        )
        limiter.flush()
    finally:
        await peers.close()
        await store.close()


def create_app(settings: Settings) -> Litestar:
    """The hub as an ASGI application."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with build_context(settings) as ctx:
            app.state.hub = ctx
            # Everything built so far lives as long as the process: move it out of the collector's generations so
            # that the collections triggered by request garbage do not walk the whole application each time.
            gc.freeze()
            workers = [
                asyncio.create_task(ctx.deliveries.run(), name="deliveries"),
                asyncio.create_task(ctx.liveness.run(), name="still-alive check"),
                asyncio.create_task(ctx.callbacks.run(), name="response URL clean-up"),
            ]
            try:
                yield
            finally:
                for worker in workers:
                    worker.cancel()
                for worker in workers:
                    with contextlib.suppress(asyncio.CancelledError):
                        await worker

    # Every OCPI route authenticates before anything else runs (api/auth.py); health, docs and admin do not.
    ocpi = Router(path="/", route_handlers=[VersionsController, *route_handlers()], before_request=authenticate)
    # The other routes only check the request-size limits.
    system = Router(path="/", route_handlers=[SystemController, AdminController], before_request=check_limits)
    routers = [system, ocpi]
    # The operator dashboard exists only when an admin key is set; it adds routes under /admin and nothing else, so
    # the OCPI routes and their hooks are the same with or without it.
    dashboard = bool(settings.admin_key)
    if dashboard:
        routers += dashboard_routers(check_limits)
    middleware = [requests_under_way]
    if settings.has_fault(Fault.TRAILING_SLASH_ENDPOINTS) or settings.has_fault(Fault.SLASHLESS_REDIRECT):
        paths = frozenset(m.path for m in MODULES)
        middleware.append(slash_fault_middleware(settings.faults, settings.base_url, paths))
    app = Litestar(
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


__all__ = ("build_context", "create_app", "key_file", "make_vault")
