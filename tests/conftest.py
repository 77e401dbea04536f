"""Shared by every test folder: one throwaway PostgreSQL cluster per test session, and how the first phase of
``make test`` hands the tests out."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from loadtests.postgres import Cluster, ClusterUnavailable, find_bindir


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """How the first phase of ``make test`` (``--dist loadgroup``) hands the tests out; the tests are unchanged.

    - A module whose tests share a module-scoped fixture (a hub and its parties started once for the module) runs on
      one worker, as an ``xdist_group`` of its own: spread over the workers, each of them started the fixture again
      (the wheel-built virtual environment of ``tests/install`` three times).
    - The tests marked ``slow`` (the longest: several seconds to a minute alone) start first, in the order collected.
      A long test that started last ended the run alone, the other workers idle: the valgrind count ran alone for
      its last 50 s when it came last. (Not in the harness phase: its long tests mostly wait, for answers a fault
      keeps from coming, and started together they left the cores idle: 9:09 against 8:08.)
    """
    if config.getoption("dist", "no") != "loadgroup":
        return
    for item in items:
        if item.get_closest_marker("xdist_group") is None and _shares_a_module_fixture(item):
            item.add_marker(pytest.mark.xdist_group(item.module.__name__ if item.module else item.nodeid))
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def _shares_a_module_fixture(item: pytest.Item) -> bool:
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return False
    return any(defs and defs[-1].scope == "module" for defs in info.name2fixturedefs.values())


def _without_postgres(exc: ClusterUnavailable) -> None:
    """Skip the test that needs PostgreSQL, saying why, except under CI (``CI`` set), where ``.ci/run`` installs its
    programs and a missing server is a failure."""
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is needed under CI: {exc}")
    pytest.skip(f"no PostgreSQL server here ({exc}); make postgres installs Debian's package")


@pytest.fixture(scope="session")
def postgres_programs() -> None:
    """PostgreSQL's server programs are here (for a test whose subject starts a server of its own, e.g. the bench);
    without them, as :func:`postgres_cluster`."""
    try:
        find_bindir()
    except ClusterUnavailable as exc:
        _without_postgres(exc)


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Cluster]:
    """A PostgreSQL server in a temporary directory on a free loopback port, stopped at the end of the session.

    Without PostgreSQL's programs the tests that need it are skipped and say so, except under CI (``CI`` set), where
    ``.ci/run`` installs them and a missing server is a failure."""
    try:
        cluster = Cluster()
        cluster.start()
    except ClusterUnavailable as exc:
        _without_postgres(exc)
    yield cluster
    cluster.stop()


@pytest.fixture
def postgres_url(postgres_cluster: Cluster) -> Iterator[str]:
    """The store URL of a new, empty database of its own, dropped after the test."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    yield postgres_cluster.create_database(name)
    postgres_cluster.drop_database(name)
