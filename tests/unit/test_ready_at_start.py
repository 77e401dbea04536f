"""What a worker prepares before its first request: every partner read once, and the Credentials' roles encoded.

Done at the first use instead, each held up every request to that worker meanwhile (0.75 s and about 130 ms with
100,000 partners). The real app in process (Litestar's TestClient runs its lifespan), on a SQLite file seeded by the
real ``ocpi-hub seed`` command."""

from __future__ import annotations

import base64
from pathlib import Path

import msgspec
from litestar.testing import TestClient

from reference_hub.app import create_app
from reference_hub.settings import load_settings
from tests.support.processes import seeded_store


def test_partners_are_read_and_their_roles_encoded_before_the_first_request(tmp_path: Path) -> None:
    store, tokens = seeded_store(tmp_path, 30)
    with TestClient(create_app(load_settings(store=store)), base_url="http://127.0.0.1:8080") as client:
        ctx = client.app.state.hub
        encoded = ctx.registrar._encoded
        assert encoded.walked == 30  # before any request
        assert ctx.deliveries._feed.full_reads == 1
        auth = {"Authorization": "Token " + base64.b64encode(tokens[0].encode()).decode()}
        answer = client.get("/ocpi/2.3.0/credentials", headers=auth)
        assert answer.status_code == 200, answer.text
        roles = msgspec.json.decode(answer.content)["data"]["roles"]
        assert len(roles) == 30  # the hub itself and the 29 other parties
        assert encoded.walked == 30 and ctx.registrar._encoded is encoded  # the answer joined nothing again
        assert ctx.deliveries._feed.full_reads == 1
