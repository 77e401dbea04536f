"""What the operators' desk keeps (accounts, audit log, kept exchanges, health marks), the invitations' labels and
expiries, and the operator's views of the outbox and the objects: one suite, every adapter (adapters and skips as in
test_store_contract.py)."""

from __future__ import annotations

import msgspec
import pytest

from reference_hub.store.base import Conflict, Invitation
from reference_hub.store.desk import AuditEntry, HealthMark, KeptExchange, Operator, OperatorRole
from reference_hub.store.outbox import Delivery, DeliveryQuery, DeliveryState
from tests.contract.test_object_store_contract import obj
from tests.contract.test_outbox_contract import delivery
from tests.contract.test_store_contract import Backend, Harness, at, backend, run, token_hash

__all__ = ("backend",)


def operator(name: str, role: OperatorRole = OperatorRole.VIEWER) -> Operator:
    return Operator(name=name, role=role, password_hash=f"$argon2id$v=19$fake${name}", created=at(0))


def exchange(
    request_id: str, *, at_s: float = 0, ref: str = "locations|NL/CPO|L1", expires: float = 3600
) -> KeptExchange:
    return KeptExchange(
        request_id=request_id,
        at=at(at_s),
        kind="delivery",
        sender="NL/HUB",
        receiver="DE/MSP",
        module="locations",
        object_ref=ref,
        method="PUT",
        url="http://127.0.0.1:9/x",
        ok=False,
        status_code=None,
        http_status=503,
        error="HTTP 503",
        request_headers=[("X-Request-ID", request_id)],
        request_body='{"id": "L1"}',
        answer_body="down",
        expires=at(expires),
    )


def test_operators_are_kept_by_name(backend: Backend) -> None:
    async def body(h: Harness) -> None:
        store = h.store
        assert await store.list_operators() == []
        await store.add_operator(operator("zoe", OperatorRole.OPERATOR))
        await store.add_operator(operator("ann"))
        with pytest.raises(Conflict):
            await store.add_operator(operator("ann", OperatorRole.OPERATOR))
        assert [o.name for o in await store.list_operators()] == ["ann", "zoe"]
        assert await store.get_operator("zoe") == operator("zoe", OperatorRole.OPERATOR)
        assert await store.get_operator("nobody") is None
        assert await store.remove_operator("ann")
        assert not await store.remove_operator("ann")
        assert await store.get_operator("ann") is None

    run(backend, body)


def test_the_audit_log_pages_newest_first_and_by_subject(backend: Backend) -> None:
    async def body(h: Harness) -> None:
        store = h.store
        for n in range(7):
            subject = "DE-MSP" if n % 2 else "NL-CPO"
            await store.add_audit(AuditEntry(at=at(n), operator="ann", action=f"act{n}", subject=subject, detail="d"))
        page = await store.list_audit(limit=3)
        assert page.total == 7
        assert [e.action for e in page.items] == ["act6", "act5", "act4"]
        assert page.items[0] == AuditEntry(at=at(6), operator="ann", action="act6", subject="NL-CPO", detail="d")
        assert [e.action for e in (await store.list_audit(offset=6, limit=3)).items] == ["act0"]
        mine = await store.list_audit(subject="DE-MSP")
        assert mine.total == 3 and [e.action for e in mine.items] == ["act5", "act3", "act1"]

    run(backend, body)


def test_kept_exchanges_replace_by_id_list_by_object_and_expire(backend: Backend) -> None:
    async def body(h: Harness) -> None:
        store = h.store
        await store.keep_exchange(exchange("r1", at_s=1))
        await store.keep_exchange(exchange("r2", at_s=2))
        await store.keep_exchange(exchange("r3", at_s=3, ref="cdrs|NL/CPO|C1", expires=10))
        assert await store.get_exchange("r2") == exchange("r2", at_s=2)
        assert await store.get_exchange("nope") is None
        assert [e.request_id for e in await store.object_exchanges("locations|NL/CPO|L1")] == ["r2", "r1"]
        retried = msgspec.structs.replace(exchange("r1", at_s=5), ok=True, error="", answer_body="{}")
        await store.keep_exchange(retried)  # a retried delivery keeps its id: the newer outcome replaces the older
        assert await store.get_exchange("r1") == retried
        assert [e.request_id for e in await store.object_exchanges("locations|NL/CPO|L1")] == ["r1", "r2"]
        assert await store.prune_exchanges(at(100)) == 1
        assert await store.get_exchange("r3") is None
        assert await store.get_exchange("r2") is not None

    run(backend, body)


def test_health_marks_keep_the_start_of_a_run_of_failures(backend: Backend) -> None:
    async def body(h: Harness) -> None:
        store = h.store
        assert await store.degraded() == {}
        await store.mark_degraded(HealthMark(partner_id="DE-MSP", since=at(1), error="HTTP 503", at=at(1)))
        await store.mark_degraded(HealthMark(partner_id="DE-MSP", since=at(5), error="timeout", at=at(5)))
        assert await store.degraded() == {
            "DE-MSP": HealthMark(partner_id="DE-MSP", since=at(1), error="timeout", at=at(5))
        }
        assert await store.clear_degraded("DE-MSP")
        assert not await store.clear_degraded("DE-MSP")
        assert await store.degraded() == {}

    run(backend, body)


def test_invitations_keep_their_label_and_expiry(backend: Backend) -> None:
    async def body(h: Harness) -> None:
        store = h.store
        labelled = Invitation(token_hash=token_hash("a"), created=at(0), label="for Acme CPO", expires=at(604800))
        plain = Invitation(token_hash=token_hash("b"), created=at(1))
        await store.add_invitation(labelled)
        await store.add_invitation(plain)
        assert await store.list_invitations() == [labelled, plain]
        found = await store.lookup_token(token_hash("a"))
        assert found is not None and found.invitation == labelled

    run(backend, body)


def _d(did: str, receiver: str, stream: str, created: float, correlation: str = "c1") -> Delivery:
    made = delivery(did, receiver=receiver, stream=stream, created=created)
    made.headers = [("X-Correlation-ID", correlation), ("OCPI-to-party-id", "MSP")]
    return made


def test_deliveries_filter_page_and_go_in_bulk(backend: Backend) -> None:
    async def body(h: Harness) -> None:
        store = h.store
        await store.enqueue(
            [
                _d("a1", "DE-MSP", "DE-MSP|locations|NL/CPO|L1", 1),
                _d("a2", "DE-MSP", "DE-MSP|tariffs|NL/CPO|T1", 2, correlation="c_%2"),
                _d("a3", "DE-MSP", "DE-MSP|locations|NL/CPO|L2", 3),
                _d("b1", "BE-OTH", "BE-OTH|locations|NL/CPO|L1", 4),
                _d("b2", "BE-OTH", "BE-OTH|hubclientinfo|DE/MSP", 5),
            ]
        )
        for claimed in await store.claim_deliveries("w", at(100), at(130), 10):
            if claimed.delivery_id in ("a1", "a2", "b1"):
                claimed.state = DeliveryState.FAILED  # given up
            await store.reschedule(claimed, "w")

        async def ids(**kw: object) -> tuple[int, list[str]]:
            page = await store.find_deliveries(DeliveryQuery(**kw))  # type: ignore[arg-type]
            return page.total, [d.delivery_id for d in page.items]

        assert await ids() == (5, ["a1", "a2", "a3", "b1", "b2"])
        assert await ids(limit=2, offset=1) == (5, ["a2", "a3"])
        assert await ids(receiver="DE-MSP") == (3, ["a1", "a2", "a3"])
        assert await ids(module="locations") == (3, ["a1", "a3", "b1"])
        assert await ids(module="locations", receiver="BE-OTH") == (1, ["b1"])
        assert await ids(stream="locations|NL/CPO|L1") == (2, ["a1", "b1"])
        assert await ids(correlation_id="c_%2") == (1, ["a2"])  # LIKE's own characters match only themselves
        assert await ids(correlation_id="c") == (0, [])
        assert await ids(created_from=at(2), created_to=at(4)) == (2, ["a2", "a3"])
        assert await ids(state=DeliveryState.FAILED) == (3, ["a1", "a2", "b1"])
        assert await ids(state=DeliveryState.PENDING, receiver="BE-OTH") == (1, ["b2"])
        # Bulk: retry every FAILED delivery to one receiver, then drop what is PENDING there.
        assert await store.retry_deliveries("DE-MSP", at(200)) == 2
        assert await store.retry_deliveries("DE-MSP", at(200)) == 0
        assert await ids(receiver="DE-MSP", state=DeliveryState.FAILED) == (0, [])
        assert await store.drop_deliveries("DE-MSP", DeliveryState.PENDING) == 3
        assert await ids(receiver="DE-MSP") == (0, [])
        assert (await ids())[0] == 2

    run(backend, body)


def test_objects_are_counted_per_module_and_owner_and_found_by_id(backend: Backend) -> None:
    async def body(h: Harness) -> None:
        store = h.store
        assert await store.object_counts() == []
        await store.write_object(obj("L1"), expected_version=None)
        await store.write_object(obj("L2"), expected_version=None)
        await store.write_object(obj("L3", owner="BE/CPO"), expected_version=None)
        await store.write_object(obj("C1", module="cdrs"), expected_version=None)
        for key in ("TOK1\tRFID", "TOK1\tAPP_USER", "TOK10\tRFID"):
            await store.write_object(obj(key, owner="DE/MSP", module="tokens"), expected_version=None)
        counts = await store.object_counts()
        assert ("locations", "NL/CPO", 2) in counts and ("locations", "BE/CPO", 1) in counts
        assert ("cdrs", "NL/CPO", 1) in counts and ("tokens", "DE/MSP", 3) in counts
        assert counts == sorted(counts)
        assert [(o.module, o.object_id) for o in await store.search_objects("C1")] == [("cdrs", "C1")]
        found = await store.search_objects("TOK1")
        assert sorted(o.object_id for o in found) == ["TOK1\tAPP_USER", "TOK1\tRFID"]  # not TOK10
        assert await store.search_objects("NOPE") == []

    run(backend, body)
