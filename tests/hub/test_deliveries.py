"""The outbox's delivery worker with the stand-in client: a cap per receiver, the breaker that takes a failing receiver
out of rotation (OFFLINE, announced, 4003 at once) and the probe that brings it back, the two delivery policies, and
the ClientInfo pushes. One receiver's trouble never holds up another's deliveries."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from typing import Any

import msgspec
import pytest

from reference_hub.faults import Fault
from reference_hub.hub.outbox import ANNOUNCEMENTS, Deliveries
from reference_hub.ocpi.datetime import DateTime, now
from reference_hub.ocpi.models import InterfaceRole, Role
from reference_hub.ocpi.versions import V221
from reference_hub.store.outbox import Delivery, DeliveryState
from tests.hub.inprocess import REFUSED_CONNECTION, Hub, HubFactory, Party, ocpi
from tests.support import examples as ex

pytestmark = pytest.mark.anyio


async def push(hub: Hub, cpo: Party, *ids: str) -> None:
    for location_id in ids:
        answer = await hub.send(
            "locationsReceiverPutLocation", cpo, "NL", "CPO", location_id, body=ex.location("NL", "CPO", location_id)
        )
        assert answer.status_code == 1000


async def out_of_rotation(hub: Hub, cpo: Party, msp: Party) -> None:
    """``msp`` refuses connections: its delivery of L1 fails and takes it out of rotation (with ``delivery_breaker``
    1); then L2 is pushed for it while it is out."""
    hub.client.answer("PUT", msp.base, REFUSED_CONNECTION)
    await push(hub, cpo, "L1")
    await hub.deliver()
    assert (await hub.refresh(msp)).partner.offline
    await push(hub, cpo, "L2")


@contextlib.asynccontextmanager
async def worker(hub: Hub) -> Any:
    task = asyncio.create_task(hub.ctx.deliveries.run())
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_a_receiver_gets_at_most_its_cap_at_once_and_a_slow_one_holds_up_nobody_else(
    make_hub: HubFactory,
) -> None:
    hub = await make_hub(delivery_per_receiver=2, delivery_concurrency=16, delivery_poll=0.05)
    cpo = await hub.register("NL", "CPO")
    slow = await hub.register("DE", "SLW", Role.EMSP)
    fast = await hub.register("DE", "FST", Role.EMSP)
    release = hub.client.hold(slow.base)
    ids = [f"L{n}" for n in range(6)]
    await push(hub, cpo, *ids)
    async with worker(hub):
        await hub.client.wait_for(lambda calls: len([c for c in calls if c.url.startswith(fast.base)]) == 6)
        assert hub.client.in_flight[slow.base] == 2  # the rest of the slow eMSP's deliveries wait their turn
        release.set()
        await hub.client.wait_for(lambda calls: len([c for c in calls if c.url.startswith(slow.base)]) == 6)
        for _ in range(100):
            if not await hub.outbox():
                break
            await asyncio.sleep(0.01)
    assert hub.client.peak[slow.base] == 2
    assert sorted(c.url.rsplit("/", 1)[1] for c in hub.client.to(slow.base)) == ids  # each once
    assert await hub.outbox() == []


async def test_a_stopping_worker_gives_back_the_leases_of_the_sends_it_cut_short(make_hub: HubFactory) -> None:
    """A process stopped while a delivery is under way releases its lease, so the next process sends it at once, not
    when the lease runs out (30 s by default: a hub restarted mid-delivery held it that long)."""
    hub = await make_hub(delivery_poll=0.05)
    cpo = await hub.register("NL", "CPO")
    msp = await hub.register("DE", "MSP", Role.EMSP)
    hub.client.hold(msp.base)  # the receiver never answers while this process runs
    await push(hub, cpo, "L1")
    async with worker(hub) as task:
        for _ in range(200):
            if hub.client.in_flight.get(msp.base):
                break
            await asyncio.sleep(0.01)
        assert hub.client.in_flight[msp.base] == 1
        task.cancel()  # the process stops (its lifespan cancels the worker)
        with contextlib.suppress(asyncio.CancelledError):
            await task
    [row] = [d for d in await hub.outbox() if d.receiver == msp.partner_id]
    moment = now()
    taken = await hub.ctx.store.claim_deliveries("the next process", moment, moment + timedelta(seconds=30), 10)
    assert [d.delivery_id for d in taken] == [row.delivery_id]  # at once, under the same X-Request-ID
    assert taken[0].attempts == row.attempts == 0


async def test_the_breaker_takes_a_failing_receiver_out_announces_it_and_the_probe_brings_it_back(
    make_hub: HubFactory,
) -> None:
    hub = await make_hub(delivery_breaker=3, delivery_retries=5, delivery_backoff=0, delivery_breaker_cooldown=0.01)
    cpo = await hub.register("NL", "CPO")
    msp = await hub.register("DE", "MSP", Role.EMSP)
    oth = await hub.register("DE", "OTH", Role.EMSP)
    hub.client.answer(None, msp.base, REFUSED_CONNECTION)
    await push(hub, cpo, "L1", "L2", "L3")
    await hub.deliver()
    assert len(hub.client.to(msp.base)) == 3 and len(hub.client.to(oth.base)) == 3

    assert (await hub.refresh(msp)).partner.offline
    infos = [d for d in await hub.outbox() if "/hubclientinfo/" in d.url]
    assert sorted(d.receiver for d in infos) == sorted([cpo.partner_id, oth.partner_id])  # not the receiver itself
    for info in infos:
        assert info.url.endswith("/receiver/hubclientinfo/DE/MSP") and info.method == "PUT"
        assert msgspec.json.decode(info.body)["status"] == "OFFLINE"
        assert not [h for h, _ in info.headers if h.startswith("OCPI-")]  # a configuration module: no routing headers

    session = ex.session("NL", "CPO", "DE", "MSP", "S1")
    direct = await hub.send("sessionsReceiverPutSession", cpo, "NL", "CPO", "S1", to=msp, body=session)
    assert direct.status_code == 4003 and "offline" in (direct.message or "")  # at once, nothing sent
    before = len(hub.client.to(msp.base))
    await hub.deliver()  # under the spec policy its deliveries are given up without a call
    assert len(hub.client.to(msp.base)) == before

    hub.client.answer("GET", msp.partner.versions_url, ocpi([{"version": "2.3.0", "url": f"{msp.base}"}]))
    await asyncio.sleep(0.02)  # the cool-down
    await hub.ctx.liveness.probe_out_of_rotation()
    assert hub.client.calls[-1].url == msp.partner.versions_url
    assert not (await hub.refresh(msp)).partner.offline
    connected = [d for d in await hub.outbox() if msgspec.json.decode(d.body or b"{}").get("status") == "CONNECTED"]
    assert sorted(d.receiver for d in connected) == sorted([cpo.partner_id, oth.partner_id])
    hub.client.answer(None, msp.base, ocpi())
    back = await hub.send("sessionsReceiverPutSession", cpo, "NL", "CPO", "S1", to=msp, body=session)
    assert (back.status_code, back.relayed) == (1000, True)


async def test_the_receivers_out_of_rotation_follow_each_change_of_their_partners(make_hub: HubFactory) -> None:
    hub = await make_hub()
    await hub.register("NL", "CPO")
    msp = await hub.register("DE", "MSP", Role.EMSP)
    oth = await hub.register("DE", "OTH", Role.EMSP)
    deliveries = hub.ctx.deliveries
    assert await deliveries.offline() == set()
    await deliveries.mark(msp.partner, offline=True)
    await deliveries.mark(oth.partner, offline=True)
    assert await deliveries.offline() == {msp.partner_id, oth.partner_id}
    await deliveries.mark(oth.partner, offline=False)  # back
    assert await deliveries.offline() == {msp.partner_id}
    await hub.ctx.operators.suspend(msp.partner_id)  # no longer ACTIVE: out of every view of the deliveries
    assert await deliveries.offline() == set()


async def test_store_and_forward_keeps_a_receivers_backlog_until_it_is_back(make_hub: HubFactory) -> None:
    hub = await make_hub(
        delivery_policy="store_and_forward", delivery_breaker=1, delivery_backoff=0, delivery_breaker_cooldown=0.01
    )
    cpo = await hub.register("NL", "CPO")
    msp = await hub.register("DE", "MSP", Role.EMSP)
    await out_of_rotation(hub, cpo, msp)
    for _ in range(3):
        await hub.deliver()
    assert len(hub.client.to(msp.base, "PUT")) == 1  # left alone while out of rotation
    waiting = [d for d in await hub.outbox() if d.receiver == msp.partner_id]
    assert len(waiting) == 2 and await hub.outbox(DeliveryState.FAILED) == []
    # Parked, both the one it failed and the one enqueued while it was out: not even a claim that sets no room for
    # anyone takes them (unparked, they held up every walk of the outbox; see Outbox.park_deliveries).
    moment = now()
    assert await hub.ctx.store.claim_deliveries("another process", moment, moment, 10) == []

    hub.client.answer("PUT", msp.base, ocpi())
    await asyncio.sleep(0.02)
    await hub.ctx.liveness.probe_out_of_rotation()
    for _ in range(3):
        await hub.deliver()
    delivered = [c.url.rsplit("/", 1)[1] for c in hub.client.to(msp.base, "PUT")]
    assert delivered == ["L1", "L1", "L2"]  # the first again (same delivery), then the next, in order
    first = [c for c in hub.client.to(msp.base, "PUT") if c.url.endswith("/L1")]
    assert first[0].header("X-Request-ID") == first[1].header("X-Request-ID")
    assert await hub.outbox() == []


async def test_a_returning_receivers_long_unpark_holds_up_no_one_elses_deliveries(
    make_hub: HubFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The attack: a receiver out of rotation for long comes back holding a backlog its store takes long to unpark
    (an hour out at 50 pushes a second is 180,000 rows, about a second on SQLite). Here the store's unpark is held
    until the test lets it go (a stand-in wrapped around the store's own method), and a delivery to another receiver
    made meanwhile must reach it without waiting; the returning receiver's rows still go in order per object."""
    hub = await make_hub(
        delivery_policy="store_and_forward",
        delivery_breaker=1,
        delivery_backoff=0,
        delivery_breaker_cooldown=0.01,
        delivery_poll=0.05,
    )
    cpo = await hub.register("NL", "CPO")
    msp = await hub.register("DE", "MSP", Role.EMSP)
    oth = await hub.register("DE", "OTH", Role.EMSP)
    await out_of_rotation(hub, cpo, msp)
    await hub.deliver()  # the receiver's rows parked
    hub.client.answer("PUT", msp.base, ocpi())
    await asyncio.sleep(0.02)
    await hub.ctx.liveness.probe_out_of_rotation()
    assert not (await hub.refresh(msp)).partner.offline

    store = hub.ctx.deliveries.store
    unparking, release = asyncio.Event(), asyncio.Event()
    unpark = store.unpark_deliveries

    async def held_unpark(receivers: Any, *, keep: Any = ()) -> None:
        unparking.set()
        await release.wait()
        await unpark(receivers, keep=keep)

    def objects(party: Party) -> list[Any]:
        return [c for c in hub.client.to(party.base, "PUT") if "/locations/" in c.url]

    monkeypatch.setattr(store, "unpark_deliveries", held_unpark)
    before = len(objects(msp))
    async with worker(hub):
        await asyncio.wait_for(unparking.wait(), 5)
        await push(hub, cpo, "L3", "L1")  # a new object, and a change of one whose older row is still parked
        await hub.client.wait_for(lambda _: len(objects(oth)) == 4)  # not held up by the unpark
        during = [c.url.rsplit("/", 1)[1] for c in objects(msp)[before:]]
        assert "L1" not in during and "L2" not in during  # parked still; L3 is a stream of its own and may go
        release.set()
        await hub.client.wait_for(lambda _: len(objects(msp)) - before == 4)
    after = objects(msp)[before:]
    assert sorted(c.url.rsplit("/", 1)[1] for c in after) == ["L1", "L1", "L2", "L3"]
    first, second = [c for c in after if c.url.endswith("/L1")]
    assert first.header("X-Request-ID") == objects(msp)[0].header("X-Request-ID")  # the row parked, then the change
    assert after.index(first) < after.index(second)
    assert await hub.outbox() == []


async def test_rows_parked_for_a_receiver_back_in_rotation_are_sent_by_a_process_that_starts_later(
    make_hub: HubFactory,
) -> None:
    """A process that stopped while a receiver was out of rotation left its rows parked; the receiver came back
    meanwhile (or the hub now runs under ``spec``). The next process's worker returns them to the claims at its first
    look."""
    for policy in ("store_and_forward", "spec"):
        hub = await make_hub(delivery_policy=policy, delivery_backoff=0)
        cpo = await hub.register("NL", "CPO")
        msp = await hub.register("DE", "MSP", Role.EMSP)
        await push(hub, cpo, "L1", "L2")
        await hub.ctx.store.park_deliveries([msp.partner_id])  # as the process before left them
        hub.client.answer("PUT", msp.base, ocpi())
        for _ in range(3):
            await hub.deliver()
        assert [c.url.rsplit("/", 1)[1] for c in hub.client.to(msp.base, "PUT")] == ["L1", "L2"], policy
        assert await hub.outbox() == [], policy


async def test_spec_policy_retries_a_transport_failure_a_few_times_under_one_request_id(make_hub: HubFactory) -> None:
    hub = await make_hub(delivery_breaker=0, delivery_retries=2, delivery_backoff=0)
    cpo = await hub.register("NL", "CPO")
    msp = await hub.register("DE", "MSP", Role.EMSP)
    hub.client.answer("PUT", msp.base, REFUSED_CONNECTION, ocpi(http=503), REFUSED_CONNECTION, ocpi())
    await push(hub, cpo, "L1")
    for _ in range(5):
        await hub.deliver()
    calls = hub.client.to(msp.base)
    assert len(calls) == 3  # the first attempt and two retries, then given up
    assert len({c.header("X-Request-ID") for c in calls}) == 1
    [failed] = await hub.outbox(DeliveryState.FAILED)
    assert failed.attempts == 3 and "unreachable" in (failed.last_error or "")
    assert await hub.outbox() == []


async def test_a_receiver_that_refuses_the_content_is_not_asked_again(make_hub: HubFactory) -> None:
    hub = await make_hub(delivery_retries=5, delivery_backoff=0)
    cpo = await hub.register("NL", "CPO")
    msp = await hub.register("DE", "MSP", Role.EMSP)
    hub.client.answer("PUT", msp.base, ocpi(status_code=2001))
    await push(hub, cpo, "L1")
    for _ in range(3):
        await hub.deliver()
    assert len(hub.client.to(msp.base)) == 1
    [failed] = await hub.outbox(DeliveryState.FAILED)
    assert failed.attempts == 1 and "status_code 2001" in (failed.last_error or "")
    assert not (await hub.refresh(msp)).partner.offline  # a refusal is an answer: the receiver is fine


async def test_nothing_is_delivered_to_a_suspended_platform(make_hub: HubFactory) -> None:
    hub = await make_hub(delivery_retries=0)
    cpo = await hub.register("NL", "CPO")
    msp = await hub.register("DE", "MSP", Role.EMSP)
    await push(hub, cpo, "L1")
    await hub.ctx.operators.suspend(msp.partner_id)
    await hub.deliver()
    assert hub.client.to(msp.base) == []
    [failed] = [d for d in await hub.outbox(DeliveryState.FAILED) if d.receiver == msp.partner_id]
    assert "suspended" in (failed.last_error or "")


async def test_clientinfo_tells_every_other_platform_about_each_party_of_the_one_that_changed(
    make_hub: HubFactory,
) -> None:
    for faults in ((), (Fault.CLIENTINFO_NOT_PUSHED,)):
        hub = await make_hub(*faults)
        cpo = await hub.register("NL", "CPO")
        two = await hub.register("DE", "TWO", Role.EMSP, ("DE", "TW2", Role.EMSP))
        blind = await hub.register("FR", "BLD", Role.NSP, interfaces=[])
        await hub.ctx.operators.suspend(two.partner_id)
        if faults:
            assert await hub.outbox() == []
            continue
        [announcement] = await hub.outbox()  # one row on the change's path; the worker expands it
        assert announcement.receiver == ANNOUNCEMENTS and hub.client.calls == []
        assert await hub.plan() == 2 and hub.client.calls == []  # planning sends nothing
        planned = await hub.outbox()
        assert sorted(d.url.rsplit("/hubclientinfo/", 1)[1] for d in planned) == ["DE/TW2", "DE/TWO"]
        assert {d.receiver for d in planned} == {cpo.partner_id}  # not itself, not a platform without the Receiver
        assert blind.partner_id not in {d.receiver for d in planned}
        assert {msgspec.json.decode(d.body)["status"] for d in planned} == {"SUSPENDED"}
        assert len({dict(d.headers)["X-Correlation-ID"] for d in planned}) == 1  # one change, one correlation id


async def test_an_announcement_is_swapped_for_its_clientinfos_only_by_the_worker_holding_its_lease(
    make_hub: HubFactory,
) -> None:
    hub = await make_hub()
    cpo = await hub.register("NL", "CPO")
    msp = await hub.register("DE", "MSP", Role.EMSP)
    await hub.ctx.deliveries.announce(msp.partner, "CONNECTED")
    [announcement] = await hub.outbox()
    stamp = now()
    later = DateTime.from_datetime(stamp + timedelta(seconds=60))
    # Another process (or one killed before it finished) holds the lease: this worker's swap writes nothing.
    [leased] = await hub.ctx.store.claim_announcements("another-process", stamp, later, 10)
    assert leased.delivery_id == announcement.delivery_id
    swapped = await hub.ctx.store.replace_delivery(announcement.delivery_id, hub.ctx.deliveries.owner, [])
    assert swapped is False and [d.delivery_id for d in await hub.outbox()] == [announcement.delivery_id]
    # Once that lease has expired, the row is still there for this worker to expand (a crash lost nothing).
    await hub.ctx.store.reschedule(leased, "another-process")
    assert await hub.plan() == 1
    [info] = await hub.outbox()
    assert info.receiver == cpo.partner_id and info.url.endswith("/receiver/hubclientinfo/DE/MSP")
    assert msgspec.json.decode(info.body or b"") == {
        "party_id": "MSP", "country_code": "DE", "role": "EMSP", "status": "CONNECTED",
        "last_updated": msgspec.json.decode(announcement.body or b"")["stamp"],
    }  # fmt: skip


async def test_a_party_that_changes_again_before_a_receiver_was_told_costs_that_receiver_one_clientinfo(
    make_hub: HubFactory,
) -> None:
    hub = await make_hub(delivery_policy="store_and_forward")
    cpo = await hub.register("NL", "CPO", offline=True)  # out of rotation: what it is owed waits for its return
    msp = await hub.register("DE", "MSP", Role.EMSP)
    await hub.ctx.deliveries.announce(msp.partner, "CONNECTED")
    assert await hub.plan() == 1  # the announcement, planned
    [first] = await hub.outbox()
    assert first.receiver == cpo.partner_id and msgspec.json.decode(first.body or b"")["status"] == "CONNECTED"
    await hub.ctx.deliveries.announce(msp.partner, "SUSPENDED")
    assert await hub.plan() == 1  # the second announcement: the untried CONNECTED is replaced, not queued behind
    [latest] = await hub.outbox()
    assert latest.delivery_id != first.delivery_id and latest.receiver == cpo.partner_id
    assert msgspec.json.decode(latest.body or b"")["status"] == "SUSPENDED"
    assert hub.client.calls == []


def _told(planned: list[Any], receiver: str) -> dict[str, str]:
    """``CC/PID`` → status of the ClientInfo PUTs planned for ``receiver``."""
    return {
        d.url.rsplit("/hubclientinfo/", 1)[1]: msgspec.json.decode(d.body or b"")["status"]
        for d in planned
        if d.receiver == receiver
    }


async def test_a_platform_changing_its_parties_at_every_credentials_put_is_announced_at_most_once_an_interval(
    make_hub: HubFactory,
) -> None:
    """The attack: a platform adds a party and drops it again at each credentials PUT, each change owing a ClientInfo
    PUT to every other platform. Its first change is announced at once; the next ones wait for the interval in one
    row, each party in it once with its latest status."""
    hub = await make_hub(announcement_interval=60)
    cpo = await hub.register("NL", "CPO")
    msp = await hub.register("DE", "MSP", Role.EMSP, ("DE", "MS2", Role.EMSP))
    announce = hub.ctx.registrar.announce
    parties = {role.party_id: msgspec.structs.replace(msp.partner, roles=[role]) for role in msp.partner.roles}
    await announce(parties["MS2"], "SUSPENDED", by_rotation=True)
    assert await hub.plan() == 1  # the first change: planned at once
    assert _told(await hub.outbox(), cpo.partner_id) == {"DE/MS2": "SUSPENDED"}
    for _ in range(20):
        await announce(parties["MS2"], "CONNECTED", by_rotation=True)
        await announce(parties["MS2"], "SUSPENDED", by_rotation=True)
    await announce(parties["MSP"], "SUSPENDED", by_rotation=True)
    await announce(parties["MS2"], "CONNECTED", by_rotation=True)
    waiting = [d for d in await hub.outbox() if d.receiver == ANNOUNCEMENTS]
    assert len(waiting) == 1  # 42 changes, one row
    assert waiting[0].due >= now() + timedelta(seconds=55)
    assert await hub.deliver() == 1  # the one ClientInfo of the first change; the row is not due yet
    assert [d.receiver for d in await hub.outbox()] == [ANNOUNCEMENTS]
    # An hour later (planned as of then), the row becomes the latest status of each party, once per receiver.
    assert await hub.plan(DateTime.from_datetime(now() + timedelta(hours=1))) == 2
    planned = await hub.outbox()
    assert len(planned) == 2 and _told(planned, cpo.partner_id) == {"DE/MS2": "CONNECTED", "DE/MSP": "SUSPENDED"}


async def test_registrations_unregistrations_and_operators_are_announced_at_once(make_hub: HubFactory) -> None:
    """Only the changes a platform makes itself at its credentials PUTs are paced; one folded into a waiting paced row
    makes that row due at once."""
    hub = await make_hub(announcement_interval=60)
    cpo = await hub.register("NL", "CPO")
    msp = await hub.register("DE", "MSP", Role.EMSP)
    announce = hub.ctx.registrar.announce
    await announce(msp.partner, "CONNECTED", by_rotation=True)
    assert await hub.plan() == 1
    [connected] = await hub.outbox()
    await announce(msp.partner, "SUSPENDED", by_rotation=True)  # waits for the interval
    [waiting] = [d for d in await hub.outbox() if d.receiver == ANNOUNCEMENTS]
    assert waiting.due > now()
    await hub.ctx.operators.suspend(msp.partner_id)  # folded into it, and due now
    [row] = [d for d in await hub.outbox() if d.receiver == ANNOUNCEMENTS]
    assert row.delivery_id == waiting.delivery_id and row.due <= now()
    assert await hub.deliver() == 1  # the CONNECTED planned before; the row planned behind it, in the same stream
    assert connected.delivery_id not in {d.delivery_id for d in await hub.outbox()}
    assert _told(await hub.outbox(), cpo.partner_id) == {"DE/MSP": "SUSPENDED"}
    other = await hub.register("DE", "OTH", Role.EMSP)
    for status in ("CONNECTED", "SUSPENDED", "CONNECTED"):
        await announce(other.partner, status)  # a registration, an unregistration, a new registration
    assert [d.due <= now() for d in await hub.outbox() if d.receiver == ANNOUNCEMENTS] == [True]


async def test_a_221_platform_adding_a_party_at_a_credentials_put_is_not_introduced_to_every_party_again(
    make_hub: HubFactory,
) -> None:
    """A 2.2.1 platform is told of every party when it connects; adding a party-role at a credentials PUT must not
    make the hub tell it of them all again (it could do so at every PUT)."""
    hub = await make_hub()
    for n in range(5):
        await hub.register("NL", f"CP{n}")
    joiner = await hub.register("DE", "OLD", Role.EMSP, interfaces=[("hubclientinfo", InterfaceRole.RECEIVER)])
    stored = msgspec.structs.replace(joiner.partner, version=V221)
    await hub.ctx.store.replace_partner(stored, expected_token_hash=stored.token_hash)
    hub.ctx.registrar.changed()
    await hub.ctx.registrar.announce(stored, "CONNECTED")  # it connects: introduced
    introduced = [d for d in await hub.outbox() if d.receiver == joiner.partner_id]
    assert len(introduced) == 5
    added = msgspec.structs.replace(stored, roles=[msgspec.structs.replace(stored.roles[0], party_id="OL2")])
    for _ in range(3):
        await hub.ctx.registrar.announce(added, "CONNECTED", by_rotation=True)
    assert len([d for d in await hub.outbox() if d.receiver == joiner.partner_id]) == 5


async def test_two_processes_together_announce_a_platforms_changes_at_most_once_an_interval_each(
    make_hub: HubFactory,
) -> None:
    """Two hub processes (two delivery planners on one store): the platform's PUTs reach both. One whose change is
    folded into the other's waiting row makes it due at its own time, and remembers that time, so neither process can
    pull the platform's changes forward more than once an interval."""
    hub = await make_hub(announcement_interval=60)
    await hub.register("NL", "CPO")
    msp = await hub.register("DE", "MSP", Role.EMSP)
    one = hub.ctx.deliveries
    other = Deliveries(hub.settings, hub.ctx.store, one.directory, one.forwarder, one.client)

    async def waiting() -> list[Delivery]:
        return [d for d in await hub.outbox() if d.receiver == ANNOUNCEMENTS]

    await one.announce(msp.partner, "SUSPENDED", by_rotation=True)
    assert await hub.plan() == 1  # the first change, at once
    await one.announce(msp.partner, "CONNECTED", by_rotation=True)  # waits for one's interval
    [row] = await waiting()
    assert row.due > now() + timedelta(seconds=55)
    await other.announce(msp.partner, "SUSPENDED", by_rotation=True)  # the other process's first: due now
    [row] = await waiting()
    assert row.due <= now()
    assert await hub.deliver() >= 1
    assert await waiting() == []
    for planner in (other, one, other, one):
        await planner.announce(msp.partner, "CONNECTED", by_rotation=True)
        [row] = await waiting()
        assert row.due > now() + timedelta(seconds=55)  # neither pulls it forward again within its interval


async def test_a_party_id_swapped_at_one_put_waits_one_interval_before_the_next_change(make_hub: HubFactory) -> None:
    """A credentials PUT that swaps the platform's party id makes two announcements (the old party SUSPENDED, the new
    one CONNECTED); they go out together at once, and the next change waits one interval from then, not two."""
    hub = await make_hub(announcement_interval=60)
    cpo = await hub.register("NL", "CPO")
    msp = await hub.register("DE", "MSP", Role.EMSP)
    old = msp.partner
    new = msgspec.structs.replace(old, roles=[msgspec.structs.replace(old.roles[0], party_id="NEW")])
    await hub.ctx.registrar.announce(old, "SUSPENDED", by_rotation=True)
    await hub.ctx.registrar.announce(new, "CONNECTED", by_rotation=True)
    assert await hub.plan() == 2
    assert _told(await hub.outbox(), cpo.partner_id) == {"DE/MSP": "SUSPENDED", "DE/NEW": "CONNECTED"}
    await hub.ctx.registrar.announce(new, "SUSPENDED", by_rotation=True)
    [row] = [d for d in await hub.outbox() if d.receiver == ANNOUNCEMENTS]
    assert now() + timedelta(seconds=55) < row.due <= now() + timedelta(seconds=61)


async def test_a_platform_holding_new_party_ids_at_every_put_makes_the_waiting_row_list_only_what_it_held_and_holds(
    make_hub: HubFactory,
) -> None:
    """The attack: at each credentials PUT a platform drops the party ids it held and adds new ones. A party added and
    dropped again while the row waits was never announced, and is left out: the row lists the parties the platform held
    when the row was written (SUSPENDED) and the ones it holds now (CONNECTED), not every party id it ever used."""
    hub = await make_hub(announcement_interval=60)
    cpo = await hub.register("NL", "CPO")
    msp = await hub.register("DE", "MSP", Role.EMSP)
    announce = hub.ctx.registrar.announce

    def holding(*party_ids: str) -> Any:
        template = msp.partner.roles[0]
        return msgspec.structs.replace(
            msp.partner, roles=[msgspec.structs.replace(template, party_id=pid) for pid in party_ids]
        )

    first = [f"A{n:02}" for n in range(10)]
    await announce(holding(*first), "CONNECTED", by_rotation=True)
    assert await hub.plan() == 10  # the first change, at once: ten CONNECTED
    held = first
    for put in range(30):
        now_held = [f"{'BCD'[put // 10]}{n}{put % 10}" for n in range(10)]  # new party ids at each PUT
        await announce(holding(*held), "SUSPENDED", by_rotation=True)
        await announce(holding(*now_held), "CONNECTED", by_rotation=True)
        held = now_held
    assert await hub.deliver() == 10  # the first change's ClientInfos; the row is not due yet
    [row] = await hub.outbox()
    assert row.receiver == ANNOUNCEMENTS
    assert len(msgspec.json.decode(row.body or b"")["parties"]) == 20  # before: 310, every party id ever used
    assert await hub.plan(DateTime.from_datetime(now() + timedelta(hours=1))) == 20
    told = _told([d for d in await hub.outbox() if d.receiver == cpo.partner_id], cpo.partner_id)
    expected = {f"DE/{pid}": "SUSPENDED" for pid in first} | {f"DE/{pid}": "CONNECTED" for pid in held}
    assert told == expected


async def test_a_party_added_and_dropped_before_it_was_announced_is_never_announced(make_hub: HubFactory) -> None:
    """Left out only when the first change the row holds of the party is its addition at a PUT: a party the others
    were told is connected, dropped and added back and dropped again, is still announced SUSPENDED."""
    hub = await make_hub(announcement_interval=60)
    cpo = await hub.register("NL", "CPO")
    msp = await hub.register("DE", "MSP", Role.EMSP)
    announce = hub.ctx.registrar.announce
    new = msgspec.structs.replace(msp.partner, roles=[msgspec.structs.replace(msp.partner.roles[0], party_id="NEW")])
    await announce(new, "CONNECTED", by_rotation=True)
    await announce(new, "SUSPENDED", by_rotation=True)  # folded before the row went out: nothing to say of NEW
    assert await hub.plan() == 0 and await hub.deliver() == 0  # the row, planned into nothing
    assert await hub.outbox() == []
    await announce(msp.partner, "SUSPENDED", by_rotation=True)  # MSP was announced CONNECTED at its registration
    await announce(msp.partner, "CONNECTED", by_rotation=True)
    await announce(msp.partner, "SUSPENDED", by_rotation=True)
    assert await hub.plan(DateTime.from_datetime(now() + timedelta(hours=1))) == 1
    assert _told(await hub.outbox(), cpo.partner_id) == {"DE/MSP": "SUSPENDED"}


async def _listeners(hub: Any, count: int) -> list[Any]:
    """``count`` CPOs, each with a hubclientinfo Receiver, in partner id order."""
    return [await hub.register("NL", f"C{n:02}") for n in range(count)]


def _clientinfo_to(planned: list[Delivery]) -> list[str]:
    return [d.receiver for d in planned if d.receiver != ANNOUNCEMENTS]


async def test_an_announcement_is_planned_a_slice_of_receivers_at_a_time_each_once(make_hub: HubFactory) -> None:
    """A registration on a hub of many platforms leaves one row; the worker plans it into ClientInfo PUTs a slice at a
    time, in partner id order, as it has room: each receiver once, under one correlation id, and the row stays until
    the last slice. A platform that connects meanwhile is told when the slices reach it; one whose id they passed
    already is not (it learns the party from the hub's Credentials and hubclientinfo list)."""
    hub = await make_hub()
    listeners = await _listeners(hub, 10)
    msp = await hub.register("DE", "MSP", Role.EMSP)
    await hub.ctx.deliveries.announce(msp.partner, "CONNECTED")
    plan = hub.ctx.deliveries.plan_announcements
    assert await plan(3, most=1) == 3
    [row] = [d for d in await hub.outbox() if d.receiver == ANNOUNCEMENTS]
    assert row.attempts == 1 and msgspec.json.decode(row.body or b"")["after"] == listeners[2].partner_id
    early = await hub.register("AA", "NEW")  # before the slices' position: not told
    late = await hub.register("ZZ", "NEW")  # after it: told with the last slice
    slices = [await plan(3, most=1) for _ in range(4)]
    assert slices == [3, 3, 2, 0]
    planned = await hub.outbox()
    assert _clientinfo_to(planned) == [p.partner_id for p in listeners] + [late.partner_id]
    assert early.partner_id not in _clientinfo_to(planned)
    assert len({dict(d.headers)["X-Correlation-ID"] for d in planned}) == 1
    assert {msgspec.json.decode(d.body or b"")["status"] for d in planned} == {"CONNECTED"}


async def test_a_change_made_while_an_announcement_is_half_planned_reaches_every_receiver_after_it(
    make_hub: HubFactory,
) -> None:
    """Receivers already planned were told what the half-planned row says, so a newer change is not folded into it:
    it waits behind it, and every receiver's last word on the party is the newer status."""
    hub = await make_hub()
    listeners = await _listeners(hub, 10)
    msp = await hub.register("DE", "MSP", Role.EMSP)
    await hub.ctx.deliveries.announce(msp.partner, "CONNECTED")
    assert await hub.ctx.deliveries.plan_announcements(4, most=1) == 4
    await hub.ctx.deliveries.announce(msp.partner, "SUSPENDED")
    assert len([d for d in await hub.outbox() if d.receiver == ANNOUNCEMENTS]) == 2
    for _ in range(6):
        await hub.deliver()
    assert await hub.outbox() == []
    for listener in listeners:
        told = [msgspec.json.decode(c.body or b"")["status"] for c in hub.client.to(listener.base)]
        assert told[-1:] == ["SUSPENDED"] and told.count("SUSPENDED") == 1, (listener.partner_id, told)


async def test_while_requests_come_in_announcements_are_planned_at_most_at_the_announcement_rate(
    make_hub: HubFactory,
) -> None:
    """The worker plans an eighth of its pool at a time, at most ``announcement_rate`` PUTs a second, while its process
    is sent requests (``served``, counted by the app: moved by hand here); a second after the last one, as fast as it
    delivers."""
    hub = await make_hub(announcement_rate=10, delivery_concurrency=16)  # slices of 2: one per 200 ms
    listeners = await _listeners(hub, 10)
    msp = await hub.register("DE", "MSP", Role.EMSP)
    await hub.ctx.deliveries.announce(msp.partner, "CONNECTED")
    hub.ctx.deliveries.served += 1
    assert await hub.deliver() == 2
    assert await hub.deliver() == 0  # its pace: the next slice 200 ms later
    await asyncio.sleep(0.25)
    assert await hub.deliver() == 2
    assert await hub.deliver() == 0
    await asyncio.sleep(1.0)  # BUSY_AFTER_REQUEST after the request
    assert await hub.deliver() == 6  # no request in the last second: the rest at once
    assert sorted(c.url for c in hub.client.calls) == sorted(
        f"{p.base}/receiver/hubclientinfo/DE/MSP" for p in listeners
    )


async def test_an_announcement_another_process_wrote_is_planned_within_a_poll(make_hub: HubFactory) -> None:
    """A process looks for announcement rows when it wrote one or a slice left some, and once per ``delivery_poll``
    otherwise: so it plans those another process wrote (one that died before planning them, or one busier than it)."""
    hub = await make_hub(delivery_poll=0.2)
    listener = await hub.register("NL", "CPO")
    msp = await hub.register("DE", "MSP", Role.EMSP)
    one = hub.ctx.deliveries
    other = Deliveries(hub.settings, hub.ctx.store, one.directory, one.forwarder, one.client)
    assert await hub.deliver() == 0  # nothing waits: the next look is a poll away
    await other.announce(msp.partner, "CONNECTED")
    assert await hub.deliver() == 0  # this process did not write it, and has not looked again yet
    await asyncio.sleep(0.25)
    assert await hub.deliver() == 1
    assert [c.url for c in hub.client.calls] == [f"{listener.base}/receiver/hubclientinfo/DE/MSP"]


async def test_a_paced_worker_wakes_for_its_next_slice_and_otherwise_waits_as_usual(make_hub: HubFactory) -> None:
    """Unit level (the worker's state set by hand): while a slice waits for its turn the worker's wait ends when the
    turn comes; once it has come, the next claim plans it, and the worker does not poll in a tight loop meanwhile
    (a full pool would otherwise have it wake every millisecond)."""
    import time

    hub = await make_hub()
    worker = hub.ctx.deliveries
    worker.served += 1
    worker._announcing = True
    worker._plan_after = time.monotonic() + 0.3
    assert 0.2 < worker._pace_wait(1.0) <= 0.3
    worker._plan_after = time.monotonic() - 1
    assert worker._pace_wait(1.0) == 1.0
    worker._plan_after = time.monotonic() + 0.3
    worker._announcing = False
    assert worker._pace_wait(1.0) == 1.0  # nothing known to wait
