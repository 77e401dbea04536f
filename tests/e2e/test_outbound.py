"""The outbound client against real sockets on loopback: deadline, answer cap, no redirects, concurrency bounds,
pinning to the checked address, and refusals that connect nowhere.

The servers are small asyncio servers in the test process, each counting the connections it accepts, so a test can
assert that a refused call never reached them. Where a host name must resolve to a chosen address, the client gets
a fake resolver (``fake_resolver``): no DNS query leaves the machine.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import pytest

from reference_hub.hub.client import OutboundClient, Outcome

pytestmark = pytest.mark.e2e

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@dataclass
class Server:
    port: int
    connections: int = 0
    requests: list[bytes] = field(default_factory=list)


@asynccontextmanager
async def serve(handler: Handler) -> AsyncIterator[Server]:
    state = Server(0)

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        state.connections += 1
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            state.requests.append(head)
            await handler(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    state.port = server.sockets[0].getsockname()[1]
    async with server:
        yield state


def reply(body: bytes, status: str = "200 OK", extra: str = "") -> Handler:
    async def handler(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
        writer.write(head.encode() + body)
        await writer.drain()

    return handler


def client(**overrides: object) -> OutboundClient:
    options: dict[str, object] = {
        "deadline": 2.0,
        "max_answer": 10_000,
        "per_party": 2,
        "per_caller": 1,
        "allow_private": True,
    }
    options.update(overrides)
    return OutboundClient(**options)  # type: ignore[arg-type]


def fake_resolver(table: dict[str, str]) -> Callable[[str, int], Awaitable[Sequence[str]]]:
    async def resolve(host: str, _port: int) -> Sequence[str]:
        return [table[host]]

    return resolve


def run(body: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(body())


def test_an_answer_is_read_whole_and_the_token_is_sent_as_base64() -> None:
    async def main() -> None:
        async with serve(reply(b'{"status_code": 1000}')) as srv:
            c = client()
            answer = await c.call("GET", f"http://127.0.0.1:{srv.port}/ocpi/versions", "tok-B")
            await c.close()
        assert answer.outcome is Outcome.OK and answer.status == 200 and answer.body == b'{"status_code": 1000}'
        assert b"Authorization: Token dG9rLUI=" in srv.requests[0]

    run(main)


def test_a_party_dripping_bytes_is_cut_at_the_overall_deadline() -> None:
    async def drip(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
        for _ in range(100):  # one byte every 0.3 s: each read is quick, the whole answer would take 30 s
            writer.write(b" ")
            await writer.drain()
            await asyncio.sleep(0.3)

    async def main() -> None:
        async with serve(drip) as srv:
            c = client(deadline=1.5)
            started = time.monotonic()
            answer = await c.call("GET", f"http://127.0.0.1:{srv.port}/ocpi/versions")
            elapsed = time.monotonic() - started
            await c.close()
        assert answer.outcome is Outcome.TIMEOUT, answer
        assert elapsed < 4, f"the call lasted {elapsed:.1f} s, past its 1.5 s deadline"

    run(main)


def test_an_answer_over_the_cap_is_abandoned_whether_declared_or_streamed() -> None:
    big = b"x" * 50_000

    async def chunked(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        for _ in range(1000):  # 4 MB in total if it were read whole
            writer.write(b"1000\r\n" + b"y" * 4096 + b"\r\n")
            await writer.drain()
        writer.write(b"0\r\n\r\n")

    async def main() -> None:
        c = client(max_answer=10_000)
        async with serve(reply(big)) as declared, serve(chunked) as streamed:
            a = await c.call("GET", f"http://127.0.0.1:{declared.port}/")
            b = await c.call("GET", f"http://127.0.0.1:{streamed.port}/")
        await c.close()
        assert a.outcome is Outcome.TOO_LARGE and not a.body
        assert b.outcome is Outcome.TOO_LARGE and not b.body

    run(main)


def test_redirects_are_answers_not_followed() -> None:
    async def main() -> None:
        async with serve(reply(b"", "200 OK")) as target:
            location = f"Location: http://127.0.0.1:{target.port}/elsewhere\r\n"
            async with serve(reply(b"", "302 Found", location)) as redirector:
                c = client()
                answer = await c.call("GET", f"http://127.0.0.1:{redirector.port}/ocpi/versions")
                await c.close()
        assert answer.outcome is Outcome.OK and answer.status == 302
        assert target.connections == 0

    run(main)


def test_refused_destinations_are_never_connected_to() -> None:
    async def main() -> None:
        async with serve(reply(b"{}")) as srv:
            strict = client(allow_private=False)
            loopback = await strict.call("GET", f"http://127.0.0.1:{srv.port}/")
            named = await strict.call("GET", f"http://localhost:{srv.port}/")
            mapped = await strict.call("GET", f"http://[::ffff:127.0.0.1]:{srv.port}/")
            await strict.close()
            # a name that resolves to the metadata address, with private peers allowed: refused all the same
            rebinding = client(resolver=fake_resolver({"metadata.test": "169.254.169.254"}))
            metadata = await rebinding.call("GET", "http://metadata.test/latest/meta-data/")
            await rebinding.close()
            assert srv.connections == 0
        for answer in (loopback, named, mapped, metadata):
            assert answer.outcome is Outcome.REFUSED, answer
        assert "allow_private_peers" in loopback.detail and "never called" in metadata.detail

    run(main)


def test_the_connection_goes_to_the_address_that_was_checked() -> None:
    async def main() -> None:
        async with serve(reply(b"{}")) as srv:
            # "party.test" exists for no DNS server: only the checked address from the (fake) resolver is used
            c = client(resolver=fake_resolver({"party.test": "127.0.0.1"}))
            answer = await c.call("GET", f"http://party.test:{srv.port}/ocpi/versions")
            await c.close()
        assert answer.outcome is Outcome.OK and srv.connections == 1
        assert f"Host: party.test:{srv.port}".encode() in srv.requests[0]

    run(main)


def test_slow_parties_hold_at_most_their_own_slots() -> None:
    release = asyncio.Event()

    async def stall(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await release.wait()

    async def main() -> None:
        async with serve(stall) as slow, serve(reply(b"{}")) as healthy:
            c = client(per_party=2, deadline=3.0)
            stuck = [asyncio.create_task(c.call("GET", f"http://127.0.0.1:{slow.port}/{i}")) for i in range(6)]
            await asyncio.sleep(0.5)
            assert slow.connections == 2  # the other four wait for a slot of that party
            started = time.monotonic()
            fine = await c.call("GET", f"http://127.0.0.1:{healthy.port}/")
            assert fine.outcome is Outcome.OK and time.monotonic() - started < 1
            results = await asyncio.gather(*stuck)
            release.set()
            await c.close()
        assert all(r.outcome is Outcome.TIMEOUT for r in results)

    run(main)


def test_one_token_gets_one_call_at_a_time() -> None:
    release = asyncio.Event()

    async def stall(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await release.wait()
        await reply(b"{}")(_reader, writer)

    async def main() -> None:
        async with serve(stall) as srv:
            c = client(per_caller=1, per_party=10)
            first = asyncio.create_task(c.call("GET", f"http://127.0.0.1:{srv.port}/", caller="hash-of-token-A"))
            await asyncio.sleep(0.3)
            second = await c.call("GET", f"http://127.0.0.1:{srv.port}/", caller="hash-of-token-A")
            other = asyncio.create_task(c.call("GET", f"http://127.0.0.1:{srv.port}/", caller="another-token"))
            await asyncio.sleep(0.3)
            release.set()
            done = await first
            assert (await other).outcome is Outcome.OK
            await c.close()
        assert second.outcome is Outcome.BUSY and done.outcome is Outcome.OK

    run(main)
