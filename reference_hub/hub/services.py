"""The hub's services for one process, built in one place (:func:`build_context`) and kept together in one object
(:class:`HubContext`) that the HTTP layer, the CLI and the tests are handed.

The HTTP layer uses the front door for every functional module and the few services that are not routing: the
handshakes, the operator's actions, authentication and its limits; it never reaches the routing internals.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from reference_hub.faults import Fault
from reference_hub.hub.auth import Authenticator
from reference_hub.hub.callbacks import Callbacks
from reference_hub.hub.changes import PartnerFeed
from reference_hub.hub.client import OutboundClient
from reference_hub.hub.credentials import Registrar
from reference_hub.hub.directory import Directory
from reference_hub.hub.frontdoor import FrontDoor
from reference_hub.hub.health import Health
from reference_hub.hub.liveness import Liveness
from reference_hub.hub.objects import Objects
from reference_hub.hub.operators import Operators
from reference_hub.hub.outbox import Deliveries
from reference_hub.hub.peers import PeerClient
from reference_hub.hub.ratelimit import FailedAuthLimiter, PartyPace
from reference_hub.hub.routing import Forwarder
from reference_hub.hub.token_index import TokenIndex
from reference_hub.hub.tokens import TokenVault
from reference_hub.ocpi.codec import Codec
from reference_hub.settings import Settings
from reference_hub.store import Store, open_store
from reference_hub.store.sqlite import SqliteStore


@dataclass(slots=True)
class HubContext:
    """Everything a request may need; one per app."""

    settings: Settings
    codec: Codec
    store: Store
    auth: Authenticator
    registrar: Registrar
    operators: Operators
    directory: Directory
    objects: Objects
    forwarder: Forwarder
    deliveries: Deliveries
    liveness: Liveness
    limiter: FailedAuthLimiter
    bodies: dict[str, int]
    """Request bodies being read right now, per token hash (see ``api/body.py``)."""
    requests: dict[str, int]
    """Requests under way right now, per partner id (see ``api/auth.py``)."""
    pace: PartyPace
    """Each platform's rate budget (``party_rate``; see ``api/auth.py``)."""
    callbacks: Callbacks
    """The response URLs the hub hands out (commands, charging profiles) and the results posted to them."""
    frontdoor: FrontDoor
    """Where every functional-module request enters the hub (``hub/frontdoor.py``)."""
    answers: dict[str, msgspec.Raw] = field(default_factory=dict)
    """Answers that depend on the settings alone, built at their first request (the versions list and details)."""


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
async def build_context(settings: Settings, *, client: OutboundClient | None = None) -> AsyncIterator[HubContext]:
    """Open the store and build the hub's services; close them afterwards (used by the app and the CLI).

    ``client`` replaces the outbound HTTP client built from the settings: every call the hub makes to a party goes
    through it (the in-process tests hand in a recording stand-in, so nothing leaves the process)."""
    store = open_store(settings.store)
    await store.open()
    codec = Codec(offset_timestamps=settings.has_fault(Fault.OFFSET_TIMESTAMPS))
    peers = PeerClient(
        codec,
        client
        or OutboundClient(
            deadline=settings.callback_timeout,
            max_answer=settings.peer_max_answer,
            per_party=settings.peer_concurrency,
            per_caller=settings.caller_concurrency,
            per_sender=settings.party_forwards,
            allow_private=settings.allow_private_peers,
        ),
    )
    try:
        auth = Authenticator(
            store,
            accept_any_token=settings.has_fault(Fault.ACCEPT_ANY_TOKEN),
            index=TokenIndex(store) if store.exact_marker else None,
        )
        # One read of each change to the partners for both views of them (the Credentials' reachable roles, the
        # deliveries' receivers).
        partners = PartnerFeed(store)
        registrar = Registrar(settings, store, auth, make_vault(settings, store), peers, feed=partners)
        limiter = FailedAuthLimiter(settings.auth_failure_limit, settings.auth_failure_window, settings.auth_lockout)
        directory = Directory(store)
        registrar.change_listeners.append(directory.forget)
        forwarder = Forwarder(
            settings,
            directory,
            registrar.vault,
            peers.client,
            health=Health(store, keep_hours=settings.exchange_keep_hours),
        )
        deliveries = Deliveries(settings, store, directory, forwarder, peers.client, feed=partners)
        registrar.status_listeners += [deliveries.announce, deliveries.introduce]
        liveness = Liveness(settings, store, forwarder, peers.client, deliveries)
        objects = Objects(settings, store, codec)
        callbacks = Callbacks(settings, store, deliveries)
        yield HubContext(
            settings=settings,
            codec=codec,
            store=store,
            auth=auth,
            registrar=registrar,
            operators=Operators(store, registrar, invitation_days=settings.invitation_days),
            directory=directory,
            objects=objects,
            forwarder=forwarder,
            deliveries=deliveries,
            liveness=liveness,
            limiter=limiter,
            requests={},
            pace=PartyPace(settings.party_rate),
            bodies={},
            callbacks=callbacks,
            frontdoor=FrontDoor(settings, codec, store, directory, objects, forwarder, deliveries, callbacks),
        )
        limiter.flush()
    finally:
        await peers.close()
        await store.close()


__all__ = ("HubContext", "build_context", "key_file", "make_vault")
