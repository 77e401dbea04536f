"""The outbound client's aiohttp side: its keep-alive pool, and the resolver that hands the pool only checked addresses.

Apart from ``hub/client.py`` so that only a process that calls out imports aiohttp, which costs about a tenth of a
second: the command line's commands never call out. A served hub imports this module at start-up
(``reference_hub/app.py``), so that no worker imports it on its event loop at its first outbound call.
"""

from __future__ import annotations

import socket
import ssl
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp.abc import AbstractResolver

if TYPE_CHECKING:
    from reference_hub.hub.client import OutboundPolicy, Resolver

TIMEOUTS: tuple[type[BaseException], ...] = (aiohttp.ServerTimeoutError, aiohttp.ConnectionTimeoutError)
"""What a call that ran out of time raises (the overall deadline is the client's own, ``OutboundClient._bounded``)."""
FAILURES: tuple[type[BaseException], ...] = (aiohttp.ClientError, OSError, ssl.SSLError, ValueError)
"""What a call to a party that could not be reached, or answered nothing usable, raises."""


class PinnedResolver(AbstractResolver):
    """Resolves each host itself and hands the connector only addresses that passed the policy.

    aiohttp connects to what its resolver returns and runs TLS with the original name, so certificate checks are
    unchanged while the address connected to is one that was checked. A name with any refused address is refused
    whole. (aiohttp does not ask the resolver for a host that is an IP address: :meth:`OutboundClient.call` checks
    those before calling.)
    """

    def __init__(self, policy: OutboundPolicy, resolver: Resolver) -> None:
        self._policy = policy
        self._resolve = resolver

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET) -> list[Any]:
        try:
            addresses = list(await self._resolve(host, port))
        except OSError as exc:
            raise OSError(f"name not resolved: {exc}") from exc
        if not addresses:
            raise OSError("name not resolved")
        for address in addresses:  # every address must pass: a name mixing allowed and refused ones is refused
            self._policy.check_address(address)
        return [
            {
                "hostname": host,
                "host": address,
                "port": port,
                "family": socket.AF_INET6 if ":" in address else socket.AF_INET,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST,
            }
            for address in dict.fromkeys(addresses)
        ]

    async def close(self) -> None:
        return None


class AsGiven(aiohttp.ClientRequest):
    """A request that adds no header of its own (no User-Agent, Accept or Accept-Encoding): what the hub sends is what
    it was given, ``Host``, ``Content-Length`` and the framing apart. The same as naming the three in
    ``skip_auto_headers``, without the set of skipped headers each request built and merged for it: the hub's client
    cost 154 to 164 µs of CPU per call with that, 146 to 150 with this (the loop of ``tools/outbound_clients.py``,
    5 rounds of 4,000 calls, alternating). ``tools/outbound_clients.py --probe`` records what actually goes out, and
    ``tests/loadtests/test_outbound_clients.py`` holds it to nothing added."""

    def update_auto_headers(self, skip_auto_headers: Any) -> None:
        return None


def open_pool(
    policy: OutboundPolicy, resolver: Resolver, ssl_context: ssl.SSLContext | bool, *, limit: int
) -> aiohttp.ClientSession:
    """The keep-alive pool ``OutboundClient._pool`` describes: nothing added to what is sent, answers read as sent,
    no cookies, no proxy from the environment, no timer of aiohttp's own."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(
            limit=limit, keepalive_timeout=30.0, resolver=PinnedResolver(policy, resolver), ssl=ssl_context
        ),
        auto_decompress=False,
        request_class=AsGiven,
        cookie_jar=aiohttp.DummyCookieJar(),
        trust_env=False,
        timeout=aiohttp.ClientTimeout(),
    )


__all__ = ("FAILURES", "TIMEOUTS", "PinnedResolver", "open_pool")
