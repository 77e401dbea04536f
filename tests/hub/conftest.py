"""Fixtures: the hub's services in-process on SQLite ``:memory:`` with a recording stand-in for the outbound HTTP
client (``tests/hub/inprocess.py``). Nothing leaves the process; each hub is closed after its test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from reference_hub.hub.services import build_context
from reference_hub.settings import Settings
from tests.hub.inprocess import HUB_BASE, Hub, HubFactory, StandInClient, World, world_of


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def make_hub() -> AsyncIterator[HubFactory]:
    """Build a hub with settings of the test's choosing (faults, delivery policy...); all are closed afterwards."""
    opened: list[Any] = []

    async def build(*faults: str, client: StandInClient | None = None, **settings: Any) -> Hub:
        stand_in = client or StandInClient(deadline=settings.get("callback_timeout", 10.0))
        values = {"store": "sqlite://:memory:", "public_url": HUB_BASE, "faults": tuple(faults), **settings}
        manager = build_context(Settings(**values), client=stand_in)  # type: ignore[arg-type]
        ctx = await manager.__aenter__()
        opened.append(manager)
        return Hub(ctx, stand_in)

    yield build
    for manager in reversed(opened):
        await manager.__aexit__(None, None, None)


@pytest.fixture
async def hub(make_hub: HubFactory) -> Hub:
    """A clean hub (no fault switch)."""
    return await make_hub()


@pytest.fixture
async def world(hub: Hub) -> World:
    """A clean hub with a CPO, two eMSPs and a payment terminal provider registered."""
    return await world_of(hub)
