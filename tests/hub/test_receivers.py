"""Who speaks and to whom: the routing headers and path ids are checked, and a receiver that cannot be used is named
with the hub's own status code, before anything is sent, stored or planned.

4001 an unknown receiver, 4003 one suspended by the operator, offline, unreachable or without a usable OCPI answer,
4002 one that did not answer within the deadline; 2001 for routing headers or ids that cannot stand; 2000 for
``OCPI-from-*`` naming a party the calling platform does not serve.
"""

from __future__ import annotations

from typing import Any

import pytest

from reference_hub.hub.client import Answer, Outcome
from reference_hub.ocpi.headers import RoutingHeaders
from reference_hub.ocpi.models import InterfaceRole, Role
from tests.hub.inprocess import REFUSED_CONNECTION, TIMEOUT, Hub, World
from tests.support import examples as ex

pytestmark = pytest.mark.anyio

SESSION = ex.session("NL", "CPO", "DE", "MSP", "S1")


async def nothing_happened(hub: Hub) -> None:
    assert hub.client.calls == []
    assert await hub.outbox() == []
    assert await hub.stored("sessions", "NL/CPO", "S1") is None
    assert await hub.stored("locations", "NL/CPO", "LOC1") is None


async def test_an_unknown_receiver_is_4001(world: World) -> None:
    hub, cpo = world.hub, world.cpo
    for op_id, ids, body in (
        ("sessionsReceiverPutSession", ("NL", "CPO", "S1"), SESSION),
        ("locationsSenderGetList", (), None),
        ("tokensSenderPostAuthorize", ("TOK1",), None),
    ):
        answer = await hub.send(op_id, cpo, *ids, to=("XX", "NOP"), body=body)
        assert (answer.http_status, answer.status_code) == (200, 4001), op_id
        assert "XX/NOP" in (answer.message or "")
    await nothing_happened(hub)


async def test_a_receiver_suspended_by_the_operator_is_4003(world: World) -> None:
    hub, cpo = world.hub, world.cpo
    await hub.ctx.operators.suspend(world.msp.partner_id)
    answer = await hub.send("sessionsReceiverPutSession", cpo, "NL", "CPO", "S1", to=world.msp, body=SESSION)
    assert (answer.http_status, answer.status_code) == (200, 4003)
    assert "suspended" in (answer.message or "")
    assert [c for c in hub.client.calls if "hubclientinfo" not in c.url] == []
    assert await hub.stored("sessions", "NL/CPO", "S1") is None


async def test_a_suspension_takes_effect_in_this_process_at_once(world: World) -> None:
    """The directory of who is connected is cached per process; a change this process makes drops it at once (other
    processes follow the store's change marker within ``MARKER_INTERVAL``)."""
    hub, cpo, msp = world.hub, world.cpo, world.msp
    token = ex.token("DE", "MSP", "T1")
    assert (await hub.send("tokensReceiverPutToken", msp, "DE", "MSP", "T1", body=token)).status_code == 1000
    assert (await hub.send("sessionsReceiverGetSession", cpo, "NL", "CPO", "S1", to=msp)).status_code == 1000
    await hub.ctx.operators.suspend(msp.partner_id)
    answer = await hub.send("sessionsReceiverGetSession", cpo, "NL", "CPO", "S1", to=msp)
    assert answer.status_code == 4003 and "suspended" in (answer.message or "")
    await hub.ctx.operators.reactivate(msp.partner_id)
    assert (await hub.send("sessionsReceiverGetSession", cpo, "NL", "CPO", "S1", to=msp)).status_code == 1000
    assert len(hub.client.to(msp.base)) == 2


async def test_an_offline_receiver_is_4003_at_once(hub: Hub) -> None:
    cpo = await hub.register("NL", "CPO")
    await hub.register("DE", "MSP", Role.EMSP, offline=True)
    answer = await hub.send("sessionsReceiverPutSession", cpo, "NL", "CPO", "S1", to=("DE", "MSP"), body=SESSION)
    assert (answer.status_code, answer.http_status) == (4003, 200) and "offline" in (answer.message or "")
    await nothing_happened(hub)


@pytest.mark.parametrize(
    ("outcome", "status_code", "said"),
    [
        (TIMEOUT, 4002, "did not answer within 3 s"),
        (REFUSED_CONNECTION, 4003, "could not be reached"),
        (Answer(Outcome.OK, 502, [("Content-Type", "text/html")], b"<html>Bad Gateway</html>"), 4003, "HTTP 502"),
        (Answer(Outcome.TOO_LARGE, 200, detail="stand-in: over the limit"), 4003, "could not be reached"),
    ],
    ids=["timeout", "refused-connection", "not-ocpi", "too-large"],
)
async def test_a_receiver_that_cannot_answer_is_named_with_the_hubs_status_code(
    make_hub: Any, outcome: Answer, status_code: int, said: str
) -> None:
    hub: Hub = await make_hub(callback_timeout=3.0)
    cpo = await hub.register("NL", "CPO")
    msp = await hub.register("DE", "MSP", Role.EMSP)
    hub.client.answer(None, msp.base, outcome)
    answer = await hub.send("sessionsReceiverPutSession", cpo, "NL", "CPO", "S1", to=msp, body=SESSION)
    assert (answer.http_status, answer.status_code, answer.relayed) == (200, status_code, False)
    assert said in (answer.message or "")
    assert len(hub.client.calls) == 1
    assert await hub.stored("sessions", "NL/CPO", "S1") is None  # the receiver never took it: no copy


async def test_a_receiver_without_the_interface_is_a_hub_error_and_nothing_is_sent(hub: Hub) -> None:
    cpo = await hub.register("NL", "CPO")
    await hub.register("DE", "MSP", Role.EMSP, interfaces=[("locations", InterfaceRole.RECEIVER)])
    answer = await hub.send("sessionsReceiverPutSession", cpo, "NL", "CPO", "S1", to=("DE", "MSP"), body=SESSION)
    assert (answer.status_code, answer.http_status) == (4000, 200)
    assert "does not implement the sessions RECEIVER" in (answer.message or "")
    await nothing_happened(hub)


@pytest.mark.parametrize(
    ("routing", "status_code", "said"),
    [
        (RoutingHeaders(to_country_code="DE", to_party_id="MSP"), 2001, "OCPI-from-country-code"),
        (RoutingHeaders(from_country_code="NL"), 2001, "OCPI-from-country-code"),
        (RoutingHeaders(to_country_code="DE", from_country_code="NL", from_party_id="CPO"), 2001, "go together"),
        (RoutingHeaders(from_country_code="NLD", from_party_id="CPO"), 2001, "at most 2"),
        (RoutingHeaders(from_country_code="DE", from_party_id="MSP"), 2000, "does not serve"),
    ],
    ids=["no-from", "half-from", "half-to", "too-long", "from-a-party-not-served"],
)
async def test_routing_headers_that_cannot_stand_are_refused_before_anything_happens(
    world: World, routing: RoutingHeaders, status_code: int, said: str
) -> None:
    hub = world.hub
    answer = await hub.send(
        "locationsReceiverPutLocation",
        world.cpo,
        "NL",
        "CPO",
        "LOC1",
        body=ex.location("NL", "CPO", "LOC1"),
        routing=routing,
    )
    assert (answer.http_status, answer.status_code) == (200, status_code)
    assert said in (answer.message or "")
    await nothing_happened(hub)


async def test_a_platform_serving_several_parties_speaks_for_each_of_them(hub: Hub) -> None:
    both = await hub.register("NL", "CPO", Role.CPO, ("NL", "CP2", Role.CPO))
    answer = await hub.send(
        "locationsReceiverPutLocation",
        both,
        "NL",
        "CP2",
        "LOC1",
        body=ex.location("NL", "CP2", "LOC1"),
        speaking_for=("nl", "cp2"),
    )
    assert (answer.http_status, answer.status_code) == (201, 1000)
    assert await hub.stored("locations", "NL/CP2", "LOC1") is not None


HOSTILE = ["..", ".", "%2E%2E", ".%2e", "%252E%252E", "a/b", "a\\b"]


@pytest.mark.parametrize("bad", HOSTILE)
@pytest.mark.parametrize(
    ("op_id", "shape"),
    [
        ("locationsReceiverPutLocation", ("NL", "CPO", "{}")),
        ("locationsSenderGetEvse", ("LOC1", "{}")),
        ("tokensReceiverPatchToken", ("DE", "MSP", "{}")),
        ("sessionsSenderPutChargingPreferences", ("{}",)),
        ("commandsReceiverPostCommand", ("{}",)),
        ("chargingprofilesReceiverDeleteProfile", ("{}",)),
        ("paymentsSenderGetTerminal", ("{}",)),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
async def test_an_id_that_could_leave_the_receivers_endpoint_is_refused_before_anything_is_sent(
    world: World, op_id: str, shape: tuple[str, ...], bad: str
) -> None:
    hub = world.hub
    sender = world.msp if op_id.startswith(("tokens", "sessionsSender", "commands", "chargingprofiles")) else world.cpo
    if op_id.startswith(("locationsSender", "payments")):
        sender = world.msp
    target = world.cpo if sender is world.msp else world.msp
    ids = tuple(bad if part == "{}" else part for part in shape)
    body = {"anything": True, "last_updated": "2021-01-01T00:00:00Z", "response_url": "https://msp.test/r"}
    query = "response_url=https://msp.test/r"
    for to in (target, "hub"):
        answer = await hub.send(op_id, sender, *ids, to=to, body=body, query=query)
        assert (answer.http_status, answer.status_code) == (200, 2001), (to, answer)
        assert "URL" in (answer.message or "")  # the id, or the raw path carrying it, named
    assert hub.client.calls == []
    assert await hub.outbox() == []


async def test_an_encoded_slash_in_the_raw_path_is_refused_even_when_the_ids_look_fine(world: World) -> None:
    hub, msp = world.hub, world.msp
    path = b"/ocpi/2.3.0/receiver/tokens/DE/MSP/a%2Fb"
    body = {"valid": False, "last_updated": "2024-01-01T00:00:00Z"}
    for to in (world.cpo, "hub"):
        answer = await hub.send("tokensReceiverPatchToken", msp, "DE", "MSP", "a", to=to, body=body, raw_path=path)
        assert (answer.http_status, answer.status_code) == (200, 2001)
        assert "encoded slash" in (answer.message or "")
    assert hub.client.calls == [] and await hub.outbox() == []


async def test_an_id_that_needs_encoding_reaches_the_receiver_encoded_once(world: World) -> None:
    hub, msp, cpo = world.hub, world.msp, world.cpo
    token = ex.token("DE", "MSP", "A B+C:1")
    answer = await hub.send("tokensReceiverPutToken", msp, "DE", "MSP", "A B+C:1", to=cpo, body=token)
    assert answer.status_code == 1000
    [call] = hub.client.calls
    assert call.url == cpo.url("RECEIVER", "tokens", "/DE/MSP/A%20B%2BC%3A1")
