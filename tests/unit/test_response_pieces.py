"""``OcpiResponse`` hands a large answer to the server in pieces, so that the worker's event loop serves other requests
between two of them (a Credentials answer of 100,000 parties, sent whole, held the loop for about 30 ms). Called here
with a recording ``send`` (a stand-in for the server, unit level); ``tests/e2e/test_fairness.py`` reads a 1 MB answer
through the real server."""

from __future__ import annotations

from typing import Any

import pytest

from reference_hub.api.responses import CHUNK, OcpiResponse


async def _sent(body: bytes) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []

    async def send(event: dict[str, Any]) -> None:
        events.append(event)

    async def receive() -> dict[str, Any]:
        raise AssertionError("nothing is read")

    await OcpiResponse(200, body, [("x-request-id", "r1")])({"type": "http"}, receive, send)  # type: ignore[arg-type]
    return events


@pytest.mark.anyio
@pytest.mark.parametrize("size", [0, 10, CHUNK, CHUNK + 1, 3 * CHUNK, 10 * CHUNK + 17])
async def test_an_answer_reaches_the_server_whole_in_pieces_of_at_most_a_chunk(size: int) -> None:
    body = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    start, *pieces = await _sent(body)
    assert start["type"] == "http.response.start" and start["status"] == 200
    assert (b"content-length", str(size).encode()) in start["headers"]
    assert all(p["type"] == "http.response.body" and isinstance(p["body"], bytes) for p in pieces)
    assert b"".join(p["body"] for p in pieces) == body
    assert [p["more_body"] for p in pieces] == [True] * (len(pieces) - 1) + [False]
    assert len(pieces) == max(1, -(-size // CHUNK))  # one piece per chunk, at least one
    assert all(len(p["body"]) <= CHUNK for p in pieces)
