"""Fixtures for testing the tester (see :mod:`tests.harness.hubrun` for the process helpers)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.harness.hubrun import SEEDED_PARTIES, Hub, start_hub


@pytest.fixture
def hub_factory(tmp_path: Path) -> Iterator[Callable[..., Hub]]:
    """``hub_factory(faults=(...), name=...)`` starts hubs that are stopped after the test."""
    started: list[Hub] = []

    def make(faults: tuple[str, ...] = (), name: str = "hub", seed: int = SEEDED_PARTIES) -> Hub:
        hub = start_hub(tmp_path / name, faults, seed=seed)
        started.append(hub)
        return hub

    yield make
    for hub in started:
        hub.stop()
