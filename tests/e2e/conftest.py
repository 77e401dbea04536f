"""Fixtures that start a real hub process and real party processes on loopback ports."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.ocpi import auth
from tests.support.processes import HubProcess, PartyProcess


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    """One hub per test module (state accumulates within the module; tests use distinct party ids)."""
    process = HubProcess(tmp_path_factory.mktemp("hub") / "hub.db").start()
    yield process
    process.stop()


@pytest.fixture
def fresh_hub(tmp_path: Path) -> Iterator[HubProcess]:
    """A hub of its own, for tests that restart it or inspect its files."""
    process = HubProcess(tmp_path / "hub.db").start()
    yield process
    process.stop()


@pytest.fixture
def make_party() -> Iterator[Callable[..., PartyProcess]]:
    started: list[PartyProcess] = []

    def start(country: str = "NL", party: str = "PTY", *extra: str) -> PartyProcess:
        process = PartyProcess(country, party, *extra).start()
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as c:
        yield c


__all__ = ("auth",)
