"""Operator actions behind the dashboard (suspend, reactivate, unregister, revoke) and the in-memory traffic record:
each action announces once, a suspended platform is refused by name, and the traffic record stays bounded."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from reference_hub.api.dashboard.charts import bar_chart
from reference_hub.hub.auth import CallerKind
from reference_hub.hub.operators import OperatorRefusal
from reference_hub.hub.services import HubContext, build_context
from reference_hub.hub.tokens import hash_token
from reference_hub.hub.traffic import Exchange, Traffic
from reference_hub.ocpi.datetime import now
from reference_hub.ocpi.models import BusinessDetails, CredentialsRole, Role
from reference_hub.settings import load_settings
from reference_hub.store import Partner, PartnerStatus
from tests.support.ocpi import auth


def _with_hub(body: Callable[[HubContext, list[tuple[str, str]]], Awaitable[None]]) -> None:
    async def run() -> None:
        async with build_context(load_settings(store="sqlite://:memory:")) as hub:
            told: list[tuple[str, str]] = []

            async def listener(partner: Partner, status: str, *, by_rotation: bool = False) -> None:
                told.append((partner.partner_id, status))

            hub.registrar.status_listeners[:] = [listener]
            stamp = now()
            await hub.store.insert_partner(
                Partner(
                    partner_id="DE-MSP",
                    status=PartnerStatus.ACTIVE,
                    token_hash=hash_token("token-of-msp"),
                    versions_url="https://msp.example.com/ocpi/versions",
                    roles=[
                        CredentialsRole(
                            role=Role.EMSP,
                            business_details=BusinessDetails(name="MSP"),
                            party_id="MSP",
                            country_code="DE",
                        )
                    ],
                    created=stamp,
                    updated=stamp,
                ),
                consume_invitation=None,
            )
            await body(hub, told)

    asyncio.run(run())


def test_suspend_and_reactivate_announce_once_each_and_refuse_the_token_by_name() -> None:
    async def body(hub: HubContext, told: list[tuple[str, str]]) -> None:
        header = auth("token-of-msp")["Authorization"]
        caller = await hub.auth.authenticate(header)
        assert caller is not None and caller.kind is CallerKind.PARTNER
        await hub.operators.suspend("DE-MSP")
        assert told == [("DE-MSP", "SUSPENDED")]
        caller = await hub.auth.authenticate(header)  # the cache was dropped: the store says suspended
        assert caller is not None and caller.kind is CallerKind.SUSPENDED
        assert await hub.directory.suspended("DE/MSP") and await hub.directory.serving("DE/MSP") is None
        with pytest.raises(OperatorRefusal, match="SUSPENDED"):
            await hub.operators.suspend("DE-MSP")
        await hub.operators.reactivate("DE-MSP")
        assert told == [("DE-MSP", "SUSPENDED"), ("DE-MSP", "CONNECTED")]
        caller = await hub.auth.authenticate(header)
        assert caller is not None and caller.kind is CallerKind.PARTNER
        with pytest.raises(OperatorRefusal, match="no partner"):
            await hub.operators.reactivate("XX-NOPE")

    _with_hub(body)


def test_unregistering_a_suspended_party_does_not_announce_it_twice() -> None:
    async def body(hub: HubContext, told: list[tuple[str, str]]) -> None:
        await hub.operators.suspend("DE-MSP")
        gone = await hub.operators.unregister_partner("DE-MSP")
        assert gone.status is PartnerStatus.INACTIVE and gone.token_hash is None
        assert told == [("DE-MSP", "SUSPENDED")]
        assert await hub.auth.authenticate(auth("token-of-msp")["Authorization"]) is None
        assert await hub.store.party_owner("DE/MSP") is None

    _with_hub(body)


def test_unregistering_an_active_party_announces_it_once() -> None:
    async def body(hub: HubContext, told: list[tuple[str, str]]) -> None:
        await hub.operators.unregister_partner("DE-MSP")
        assert told == [("DE-MSP", "SUSPENDED")]
        with pytest.raises(OperatorRefusal, match="INACTIVE"):
            await hub.operators.unregister_partner("DE-MSP")

    _with_hub(body)


def test_a_revoked_invitation_no_longer_authenticates() -> None:
    async def body(hub: HubContext, _told: list[tuple[str, str]]) -> None:
        token = await hub.operators.invite()
        header = auth(token)["Authorization"]
        assert (await hub.auth.authenticate(header)) is not None  # now cached as valid
        assert await hub.operators.revoke_invitation(hash_token(token))
        assert await hub.auth.authenticate(header) is None
        assert not await hub.operators.revoke_invitation(hash_token(token))

    _with_hub(body)


def _exchange(
    at: float, sender: str = "NL/CPO", receiver: str = "DE/MSP", status: int = 1000, cid: str = "c"
) -> Exchange:
    return Exchange(
        at=at,
        kind="forward",
        sender=sender,
        receiver=receiver,
        module="sessions",
        method="PUT",
        status_code=status,
        latency_ms=12.0,
        request_id="r",
        correlation_id=cid,
    )


def test_traffic_is_bounded_newest_first_and_filtered() -> None:
    clock = [6_000.0]
    traffic = Traffic(recent=3, clock=lambda: clock[0])
    for n in range(5):
        traffic.note(_exchange(6_000.0 + n, cid=f"c{n}", receiver="DE/MSP" if n % 2 else "BE/OTH"))
    assert [e.correlation_id for e in traffic.recent()] == ["c4", "c3", "c2"]
    assert [e.correlation_id for e in traffic.recent(party="de/msp")] == ["c3"]
    assert [e.correlation_id for e in traffic.recent(party="DE-MSP")] == ["c3"]  # a partner id finds it too
    assert [e.correlation_id for e in traffic.recent(correlation_id="c2")] == ["c2"]
    assert traffic.recent(party="NL/CPO", limit=2)[-1].correlation_id == "c3"


def test_minute_counters_cover_the_last_hour() -> None:
    clock = [60 * 1000.0]
    traffic = Traffic(clock=lambda: clock[0])
    traffic.note(_exchange(clock[0]))
    traffic.note(_exchange(clock[0] + 1, status=4003))
    traffic.delivered(0.5)
    clock[0] += 120
    traffic.note(_exchange(clock[0]))
    hour = traffic.last_hour()
    assert len(hour) == 60 and hour[-1].start == 60 * 1002
    assert (hour[-3].routed, hour[-3].failed, hour[-3].delivered, hour[-3].delivery_s) == (2, 1, 1, 0.5)
    assert hour[-2].routed == 0 and hour[-1].routed == 1
    clock[0] += 3600
    assert sum(m.routed for m in traffic.last_hour()) == 0  # older than an hour: out of the charts


def test_charts_scale_to_a_readable_top_and_skip_empty_minutes() -> None:
    points: list[tuple[int, float | None]] = [(60 * n, None) for n in range(58)] + [(3480, 3.0), (3540, 0.004)]
    chart = bar_chart("Latency", "ms", points, "two minutes")
    assert chart.top == "5" and len(chart.bars) == 2 and not chart.empty
    tall, short = chart.bars
    assert tall.height > 50 * short.height and tall.y + tall.height == chart.height
    assert "3 ms" in tall.title
    small = bar_chart("Latency", "ms", [(0, 0.004)], "")
    assert small.top == "0.005" and small.bars[0].height > 0.5 * small.height
    assert bar_chart("Nothing", "x", [(0, None), (60, 0.0)], "").empty


def test_an_unknown_name_is_checked_against_a_hash_that_costs_what_a_real_one_does() -> None:
    """The dashboard checks a sign-in under an unknown name against ``unmatchable_hash()``: a well-formed PHC string
    with the parameters of the operators' own hashes (so the check runs Argon2 in full, as long as a real one, rather
    than being refused at once as malformed), which no password matches, and a fresh one each time."""
    import argon2
    from argon2.exceptions import VerifyMismatchError

    from reference_hub.hub.operators import hash_password, password_matches, unmatchable_hash

    dummy = unmatchable_hash()
    assert argon2.extract_parameters(dummy) == argon2.extract_parameters(hash_password("a password"))
    with pytest.raises(VerifyMismatchError):  # computed and compared: not an InvalidHashError, raised without hashing
        argon2.PasswordHasher().verify(dummy, "a password")
    assert not password_matches(dummy, "") and not password_matches(dummy, "a password")
    assert unmatchable_hash() != dummy
