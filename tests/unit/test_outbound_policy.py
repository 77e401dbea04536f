"""The outbound policy's rules (URLs and addresses), URL redaction and the keyed concurrency bound.

Pure logic: no socket is opened here. The same rules applied to real connections are in tests/e2e/test_outbound.py.
"""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from reference_hub.hub.client import KeyedLimit, OutboundPolicy, PolicyRefusal, redact_url

STRICT = OutboundPolicy(allow_private=False)
LOCAL = OutboundPolicy(allow_private=True)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://party.example.com/versions", "only http and https"),
        ("file:///etc/passwd", "only http and https"),
        ("gopher://party.example.com:70/", "only http and https"),
        ("http://party.example.com/v\r\nX-Injected: 1", "control characters"),
        ("http://party.example.com/v\nHost: evil", "control characters"),
        ("http://party.example.com/a b", "spaces"),
        ("http://user:secret@party.example.com/versions", "user name or password"),
        ("http://user@party.example.com/versions", "user name or password"),
        ("http:///versions", "no host"),
        ("http://party.example.com:99999/versions", "cannot be parsed"),
        ("http://party.example.com:0/versions", "port 0"),
        ("", "empty"),
    ],
)
def test_urls_no_party_may_have_are_refused(url: str, reason: str) -> None:
    with pytest.raises(PolicyRefusal, match=reason):
        LOCAL.check_url(url)


def test_ordinary_party_urls_pass_the_url_rules() -> None:
    for url in (
        "https://ocpi.party.example.com/ocpi/versions",
        "http://127.0.0.1:8080/ocpi/versions",
        "https://[2001:db8::1]:8443/ocpi/versions?x=1",
    ):
        assert LOCAL.check_url(url).hostname


@pytest.mark.parametrize(
    "address",
    [
        "169.254.169.254",  # cloud metadata
        "169.254.0.1",
        "100.100.100.200",
        "fe80::1",
        "fe80::1%eth0",
        "fd00:ec2::254",
        "::ffff:169.254.169.254",  # IPv4-mapped form of the metadata address
        "0.0.0.0",
        "::",
        "224.0.0.1",
        "255.255.255.255",
    ],
)
def test_link_local_metadata_and_reserved_addresses_are_always_refused(address: str) -> None:
    with pytest.raises(PolicyRefusal, match="never called"):
        LOCAL.check_address(address)
    with pytest.raises(PolicyRefusal, match="never called"):
        STRICT.check_address(address)


@pytest.mark.parametrize(
    "address", ["127.0.0.1", "127.1.2.3", "::1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "fc00::1", "100.64.0.1"]
)
def test_loopback_and_private_addresses_need_the_setting(address: str) -> None:
    with pytest.raises(PolicyRefusal, match="allow_private_peers"):
        STRICT.check_address(address)
    LOCAL.check_address(address)  # allowed when the setting is on


def test_ipv4_mapped_loopback_is_loopback() -> None:
    with pytest.raises(PolicyRefusal, match="allow_private_peers"):
        STRICT.check_address("::ffff:127.0.0.1")


def test_public_addresses_pass() -> None:
    for address in ("8.8.8.8", "2001:4860:4860::8888", "1.1.1.1"):
        STRICT.check_address(address)


def test_a_name_is_not_an_address() -> None:
    with pytest.raises(PolicyRefusal, match="did not resolve"):
        STRICT.check_address("party.example.com")


def test_redaction_hides_passwords_only() -> None:
    assert (
        redact_url("https://op:hunter2@party.example.com:8443/v?x=1") == "https://op:***@party.example.com:8443/v?x=1"
    )
    assert "hunter2" not in redact_url("http://op:hunter2@[2001:db8::1]/v")
    assert redact_url("https://party.example.com/ocpi/versions") == "https://party.example.com/ocpi/versions"
    assert redact_url("http://[::1") == "<unparseable URL>"


def test_keyed_limit_bounds_holders_per_key_and_forgets_idle_keys() -> None:
    async def main() -> None:
        limit = KeyedLimit(2)
        inside = 0
        peak = 0

        async def hold(key: str) -> None:
            nonlocal inside, peak
            async with limit.slot(key, wait=True) as got:
                assert got
                inside += 1
                peak = max(peak, inside)
                await asyncio.sleep(0.01)
                inside -= 1

        await asyncio.gather(*(hold("party-a") for _ in range(7)))
        assert peak == 2
        async with limit.slot("party-b", wait=False) as first, limit.slot("party-b", wait=False) as second:
            assert first and second
            async with limit.slot("party-b", wait=False) as third:
                assert third is False  # full, and told so at once instead of waiting
            assert limit.busy("party-b") == 2
        assert limit.busy("party-a") == 0 and limit.busy("party-b") == 0
        assert limit._gates == {}  # no bookkeeping left for keys nobody holds

    asyncio.run(main())


def test_a_wait_for_a_slot_given_up_holds_nothing() -> None:
    """A call whose deadline passes while it waits for a party's slot leaves that party's count as it was."""

    async def main() -> None:
        limit = KeyedLimit(1)
        assert await limit.take("party-c")
        waiting = asyncio.create_task(limit.acquire("party-c"))
        await asyncio.sleep(0)
        assert limit.busy("party-c") == 2  # the holder and the one waiting
        waiting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await waiting
        assert limit.busy("party-c") == 1
        assert not await limit.take("party-c")  # still full: the holder has it
        limit.release("party-c")
        assert limit._gates == {}
        assert await limit.take("party-c")  # free again
        limit.release("party-c")

    asyncio.run(main())
