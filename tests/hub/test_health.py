"""Health that tells the truth before the still-alive check: the first failed send to a receiver marks it DEGRADED in
the store with the error, the next answer clears the mark; failed exchanges are kept without any token; an
invitation's expiry is enforced; and operator actions land in the audit log."""

from __future__ import annotations

from datetime import timedelta

import pytest

from reference_hub.ocpi.datetime import DateTime, now
from reference_hub.ocpi.models import Role
from reference_hub.store.desk import encode_exchange
from reference_hub.store.outbox import DeliveryQuery
from tests.hub.inprocess import REFUSED_CONNECTION, HubFactory, ocpi
from tests.support import examples as ex

pytestmark = pytest.mark.anyio


async def test_a_failed_delivery_marks_the_receiver_degraded_and_its_next_answer_clears_it(
    make_hub: HubFactory,
) -> None:
    hub = await make_hub(delivery_breaker=10, delivery_retries=0, delivery_backoff=0)
    cpo = await hub.register("NL", "CPO")
    msp = await hub.register("DE", "MSP", Role.EMSP)
    hub.client.answer(None, msp.base, REFUSED_CONNECTION)
    answer = await hub.send("locationsReceiverPutLocation", cpo, "NL", "CPO", "L1", body=ex.location("NL", "CPO", "L1"))
    assert answer.status_code == 1000
    await hub.deliver()

    marks = await hub.ctx.store.degraded()
    assert list(marks) == [msp.partner_id]
    assert "connection refused" in marks[msp.partner_id].error
    assert not (await hub.refresh(msp)).partner.offline  # one failure: DEGRADED, not yet out of rotation

    [failed] = (await hub.ctx.store.find_deliveries(DeliveryQuery(receiver=msp.partner_id))).items
    kept = await hub.ctx.store.get_exchange(failed.delivery_id)
    assert kept is not None and not kept.ok and kept.object_ref == "locations|NL/CPO|L1"
    assert "L1" in kept.request_body
    shown = encode_exchange(kept).decode()
    assert msp.outgoing not in shown and "Authorization" not in shown

    hub.client.answer(None, msp.base, ocpi())
    await hub.ctx.store.retry_deliveries(msp.partner_id, now())
    await hub.deliver()
    assert await hub.ctx.store.degraded() == {}
    history = await hub.ctx.store.object_exchanges("locations|NL/CPO|L1")
    assert [e.ok for e in history if e.receiver == msp.partner_id] == [True]  # the retry replaced the failure


async def test_a_forward_that_gets_no_answer_marks_the_receiver_degraded(make_hub: HubFactory) -> None:
    hub = await make_hub()
    cpo = await hub.register("NL", "CPO")
    msp = await hub.register("DE", "MSP", Role.EMSP)
    hub.client.answer(None, msp.base, REFUSED_CONNECTION)
    session = ex.session("NL", "CPO", "DE", "MSP", "S1")
    failed = await hub.send("sessionsReceiverPutSession", cpo, "NL", "CPO", "S1", to=msp, body=session)
    assert failed.status_code != 1000
    assert msp.partner_id in await hub.ctx.store.degraded()
    [entry] = hub.ctx.forwarder.traffic.recent(party=msp.key)
    assert entry.error and "could not be reached" in entry.error

    hub.client.answer(None, msp.base, ocpi())
    ok = await hub.send("sessionsReceiverPutSession", cpo, "NL", "CPO", "S1", to=msp, body=session)
    assert ok.status_code == 1000
    assert await hub.ctx.store.degraded() == {}


async def test_an_expired_invitation_authenticates_as_expired(make_hub: HubFactory) -> None:
    hub = await make_hub()
    token = await hub.ctx.operators.invite("for DE-NEW", days=1)
    caller = await hub.ctx.auth.authenticate(f"Token {token}")
    assert caller is not None and not caller.expired()
    [invitation] = await hub.ctx.store.list_invitations()
    assert invitation.label == "for DE-NEW" and invitation.expires is not None
    assert invitation.expires - now() > timedelta(hours=23)

    old = await hub.ctx.operators.invite(days=-1)
    hub.ctx.auth.forget()
    stale = await hub.ctx.auth.authenticate(f"Token {old}")
    assert stale is not None and stale.expired()


async def test_operator_actions_are_in_the_audit_log(make_hub: HubFactory) -> None:
    hub = await make_hub()
    msp = await hub.register("DE", "MSP", Role.EMSP)
    await hub.ctx.operators.suspend(msp.partner_id, by="alice")
    await hub.ctx.operators.reactivate(msp.partner_id, by="bob")
    page = await hub.ctx.store.list_audit(subject=msp.partner_id)
    assert [(e.operator, e.action) for e in page.items] == [("bob", "reactivate"), ("alice", "suspend")]
    assert all(isinstance(e.at, DateTime) for e in page.items)
