"""A platform's requests under way stop counting when the app is done with them, however they end.

The app (``app.HubApp``) ends the count around the whole of Litestar, not in a middleware: these requests go through
the real app in process (Litestar's TestClient), on a SQLite file seeded by the real ``ocpi-hub seed`` command, and
after each one the platform's count must be back to nothing. Were the count not ended, the platform would be refused
(429) for good once ``party_requests`` of its requests had passed.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from reference_hub.app import create_app
from reference_hub.settings import load_settings
from tests.support.processes import seeded_store


@pytest.fixture
def seeded(tmp_path: Path) -> tuple[str, str]:
    store, tokens = seeded_store(tmp_path, 1)
    return store, tokens[0]


@pytest.fixture
def client(seeded: tuple[str, str]) -> Iterator[TestClient[Any]]:
    store, _ = seeded
    with TestClient(create_app(load_settings(store=store, party_requests=2)), base_url="http://127.0.0.1:8080") as c:
        yield c


def _under_way(client: TestClient[Any]) -> dict[str, int]:
    return dict(client.app.state.hub.requests)


def test_every_way_a_request_ends_gives_its_place_back(client: TestClient[Any], seeded: tuple[str, str]) -> None:
    token = seeded[1]
    auth = {"Authorization": "Token " + base64.b64encode(token.encode()).decode()}
    ends = [
        ("answered", "GET", "/ocpi/versions", None, 200),
        (
            "refused by a handler (an OCPI error: no routing headers)",
            "GET",
            "/ocpi/2.3.0/sender/locations/XX",
            None,
            200,
        ),
        ("refused on its body", "PUT", "/ocpi/2.3.0/credentials", b"{not json", 400),
    ]
    for label, method, path, body, status in ends:
        for _ in range(3):  # more than party_requests (2): a place not given back would end in 429
            answer = client.request(method, path, headers=auth, content=body)
            assert answer.status_code == status, (label, answer.status_code, answer.text[:200])
            assert _under_way(client) == {}, label
