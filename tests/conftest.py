"""Fixtures shared by every test folder: one throwaway PostgreSQL cluster per test session."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from loadtests.postgres import Cluster, ClusterUnavailable


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Cluster]:
    """A PostgreSQL server in a temporary directory on a free loopback port, stopped at the end of the session.

    Without PostgreSQL's programs the tests that need it are skipped and say so, except under CI (``CI`` set), where
    ``.ci/run`` installs them and a missing server is a failure."""
    try:
        cluster = Cluster()
        cluster.start()
    except ClusterUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is needed under CI: {exc}")
        pytest.skip(f"no PostgreSQL server here ({exc}); make postgres installs Debian's package")
    yield cluster
    cluster.stop()


@pytest.fixture
def postgres_url(postgres_cluster: Cluster) -> Iterator[str]:
    """The store URL of a new, empty database of its own, dropped after the test."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    yield postgres_cluster.create_database(name)
    postgres_cluster.drop_database(name)
