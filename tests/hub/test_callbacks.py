"""Commands and ChargingProfiles through the hub: the hub puts its own ``response_url`` in what it forwards, keeps
the requester's, takes the receiver's asynchronous result once, from that receiver only, and delivers it to the
requester's own URL through the outbox with TO = the requester, FROM = the receiver and the original
X-Correlation-ID. Without ``OCPI-to-*`` a command goes where its location, session or reservation points, a charging
profile request to the CPO of its session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, quote

import msgspec
import pytest

from reference_hub.hub.callbacks import secret_id
from reference_hub.ocpi.datetime import DateTime, now
from reference_hub.ocpi.headers import RoutingHeaders
from reference_hub.store.callbacks import CallbackState
from tests.hub.inprocess import HUB_BASE, REFUSED_CONNECTION, TIMEOUT, Call, Hub, V, World, ocpi, world_of
from tests.support import examples as ex

pytestmark = pytest.mark.anyio

PROFILE = {"charging_rate_unit": "W", "charging_profile_period": [{"start_period": 0, "limit": 11000.0}]}
ACTIVE = {"start_date_time": "2026-01-01T10:00:00Z", "charging_profile": PROFILE}


@pytest.fixture
async def net(world: World) -> World:
    """The world, with a Location and a Session (of DE/MSP's driver) of the CPO in the hub's copy."""
    hub, cpo = world.hub, world.cpo
    await hub.send("locationsReceiverPutLocation", cpo, "NL", "CPO", "LOC1", body=ex.location("NL", "CPO", "LOC1"))
    await hub.send(
        "sessionsReceiverPutSession", cpo, "NL", "CPO", "S1", body=ex.session("NL", "CPO", "DE", "MSP", "S1")
    )
    for delivery in await hub.outbox():  # the Location's broadcast: not what these tests look at
        await hub.ctx.store.drop_delivery(delivery.delivery_id)
    hub.client.calls.clear()
    return world


def mine(world: World, ref: str) -> str:
    """The eMSP's own response URL for one request."""
    return f"{world.msp.base}/sender/commands/results/{ref}?ref={ref}"


def start_session(url: str, location: str = "LOC1", **extra: Any) -> dict[str, Any]:
    return {
        "response_url": url,
        "token": ex.token("DE", "MSP", "TOK-CMD"),
        "location_id": location,
        "evse_uid": "3256",
        "authorization_reference": "AUTH-1",
        **extra,
    }


@dataclass
class Sent:
    answer: Any
    call: Call
    url: str
    """The response URL the CPO was given."""

    @property
    def secret(self) -> str:
        return self.url.rsplit("/", 1)[1]


async def command(
    world: World, kind: str, body: dict[str, Any], *, to: Any = "cpo", response: Any = None, correlation: str = "c-1"
) -> Sent:
    hub, cpo = world.hub, world.cpo
    hub.client.answer("POST", cpo.url("RECEIVER", "commands"), response or ocpi({"result": "ACCEPTED", "timeout": 30}))
    before = len(hub.client.to(cpo.url("RECEIVER", "commands")))
    answer = await hub.send(
        "commandsReceiverPostCommand",
        world.msp,
        kind,
        to=cpo if to == "cpo" else to,
        body=msgspec.json.encode(body),
        correlation_id=correlation,
    )
    calls = hub.client.to(cpo.url("RECEIVER", "commands"))
    assert len(calls) == before + 1, answer
    call = calls[-1]
    return Sent(answer, call, call.json()["response_url"])


async def post_result(world: World, kind: str, secret: str, body: Any, *, by: Any = None, **kw: Any) -> Any:
    return await world.hub.send(
        "commandsSenderPostCommandResult", by or world.cpo, kind, secret, to=world.msp, body=body, **kw
    )


async def test_a_command_goes_out_with_the_hubs_response_url_and_its_result_comes_back_once(net: World) -> None:
    hub, cpo, msp = net.hub, net.cpo, net.msp
    body = start_session(mine(net, "r1"), x_vendor={"kept": [1, 2]})
    sent = await command(net, "START_SESSION", body, correlation="corr-cmd")

    assert (sent.answer.status_code, sent.answer.relayed, sent.answer.data) == (
        1000,
        True,
        {"result": "ACCEPTED", "timeout": 30},
    )
    assert (sent.answer.headers["OCPI-to-party-id"], sent.answer.headers["OCPI-from-party-id"]) == ("MSP", "CPO")
    assert sent.call.url == cpo.url("RECEIVER", "commands", "/START_SESSION")
    assert sent.url.startswith(f"{HUB_BASE}{V}/sender/commands/START_SESSION/") and len(sent.secret) >= 43
    assert sent.call.json() == {**body, "response_url": sent.url}  # everything else as sent, unknown fields too
    assert (sent.call.header("OCPI-from-party-id"), sent.call.header("OCPI-to-party-id")) == ("MSP", "CPO")
    assert sent.call.header("X-Correlation-ID") == "corr-cmd"

    record = await hub.ctx.store.get_callback(secret_id(sent.secret))
    assert record is not None and record.response_url == mine(net, "r1") and record.correlation_id == "corr-cmd"
    assert (record.requester, record.receiver, record.state) == ("DE/MSP", "NL/CPO", CallbackState.PENDING)
    assert sent.secret not in repr(record)  # only its SHA-256 is kept

    result = b'{ "result" : "ACCEPTED", "x_vendor": 1 }'
    taken = await post_result(net, "START_SESSION", sent.secret, result)
    assert (taken.http_status, taken.status_code, taken.data) == (200, 1000, None)
    assert taken.reply.routing == [  # acknowledged on the requester's behalf
        ("OCPI-to-country-code", "NL"),
        ("OCPI-to-party-id", "CPO"),
        ("OCPI-from-country-code", "DE"),
        ("OCPI-from-party-id", "MSP"),
    ]
    [delivery] = await hub.outbox()
    assert (delivery.receiver, delivery.method, delivery.url, delivery.body) == (
        msp.partner_id,
        "POST",
        mine(net, "r1"),
        result,
    )
    assert dict(delivery.headers) == {
        "X-Correlation-ID": "corr-cmd",
        "OCPI-to-country-code": "DE",
        "OCPI-to-party-id": "MSP",
        "OCPI-from-country-code": "NL",
        "OCPI-from-party-id": "CPO",
    }
    assert await hub.deliver() == 1
    [arrived] = hub.client.to(mine(net, "r1"))
    assert arrived.body == result and arrived.header("X-Request-ID") == delivery.delivery_id

    again = await post_result(net, "START_SESSION", sent.secret, result)
    assert again.status_code == 2000 and "finished" in (again.message or "")
    assert await hub.outbox() == [] and len(hub.client.to(mine(net, "r1"))) == 1  # once


async def test_a_result_is_taken_only_from_the_receiver_at_a_url_the_hub_issued(net: World) -> None:
    hub = net.hub
    sent = await command(net, "START_SESSION", start_session(mine(net, "r2")))
    stranger = await post_result(net, "START_SESSION", sent.secret, {"result": "ACCEPTED"}, by=net.oth)
    assert stranger.status_code == 2000 and "NL/CPO" in (stranger.message or "")
    unknown = await post_result(net, "START_SESSION", sent.secret + "x", {"result": "ACCEPTED"})
    assert (unknown.http_status, unknown.status_code) == (404, 2000)
    wrong_module = await hub.send(
        "chargingprofilesSenderPostResult", net.cpo, "S1", sent.secret, body={"result": "ACCEPTED"}
    )
    assert (wrong_module.http_status, wrong_module.status_code) == (404, 2000)
    invalid = await post_result(net, "START_SESSION", sent.secret, {"result": "MAYBE"})
    assert invalid.status_code == 2001
    assert await hub.outbox() == []
    taken = await post_result(net, "START_SESSION", sent.secret, {"result": "EVSE_OCCUPIED"})
    assert taken.status_code == 1000 and len(await hub.outbox()) == 1


async def test_a_result_posted_without_routing_headers_by_the_receiving_platform_is_routed_by_its_url(
    net: World,
) -> None:
    sent = await command(net, "START_SESSION", start_session(mine(net, "bare")))
    bare = RoutingHeaders()
    stranger = await post_result(net, "START_SESSION", sent.secret, {"result": "ACCEPTED"}, by=net.oth, routing=bare)
    assert stranger.status_code == 2001  # another platform must say who it speaks for
    taken = await post_result(net, "START_SESSION", sent.secret, {"result": "ACCEPTED"}, routing=bare)
    assert taken.status_code == 1000
    assert dict(taken.reply.routing)["OCPI-to-party-id"] == "CPO"
    [delivery] = await net.hub.outbox()
    assert (dict(delivery.headers)["OCPI-to-party-id"], dict(delivery.headers)["OCPI-from-party-id"]) == ("MSP", "CPO")


@pytest.mark.parametrize(
    "response",
    [ocpi({"result": "REJECTED", "timeout": 0}), ocpi({"result": "REJECTED", "timeout": 0}, 2003)],
    ids=["rejected", "cpo-error"],
)
async def test_a_command_the_cpo_did_not_accept_expects_no_result(net: World, response: Any) -> None:
    sent = await command(net, "START_SESSION", start_session(mine(net, "r3")), response=response)
    assert sent.answer.relayed and sent.answer.data == {"result": "REJECTED", "timeout": 0}  # relayed as it came
    late = await post_result(net, "START_SESSION", sent.secret, {"result": "ACCEPTED"})
    assert late.status_code == 2000 and "finished" in (late.message or "")
    assert await net.hub.outbox() == []


async def test_a_command_that_never_reached_its_cpo_closes_its_url_and_one_that_timed_out_keeps_it(net: World) -> None:
    unreachable = await command(net, "START_SESSION", start_session(mine(net, "r4")), response=REFUSED_CONNECTION)
    assert unreachable.answer.status_code == 4003
    assert "finished" in (
        (await post_result(net, "START_SESSION", unreachable.secret, {"result": "ACCEPTED"})).message or ""
    )
    slow = await command(net, "START_SESSION", start_session(mine(net, "r5")), response=TIMEOUT)
    assert slow.answer.status_code == 4002
    assert (await post_result(net, "START_SESSION", slow.secret, {"result": "ACCEPTED"})).status_code == 1000


async def test_a_reservation_url_stays_open_for_the_cpos_cancellation(net: World) -> None:
    body = {
        "response_url": mine(net, "res"),
        "token": ex.token("DE", "MSP", "TOK-CMD"),
        "expiry_date": "2099-01-01T00:00:00Z",
        "reservation_id": "RES-1",
        "location_id": "LOC1",
    }
    sent = await command(net, "RESERVE_NOW", body)
    assert (await post_result(net, "RESERVE_NOW", sent.secret, {"result": "ACCEPTED"})).status_code == 1000
    again = await post_result(net, "RESERVE_NOW", sent.secret, {"result": "ACCEPTED"})
    assert again.status_code == 2000 and "taken already" in (again.message or "")
    assert (await post_result(net, "RESERVE_NOW", sent.secret, {"result": "CANCELED_RESERVATION"})).status_code == 1000
    assert (await post_result(net, "RESERVE_NOW", sent.secret, {"result": "CANCELED_RESERVATION"})).status_code == 2000
    assert [msgspec.json.decode(d.body)["result"] for d in await net.hub.outbox()] == [
        "ACCEPTED",
        "CANCELED_RESERVATION",
    ]

    # CANCEL_RESERVATION without OCPI-to goes to the CPO that took the reservation
    cancel = await command(
        net, "CANCEL_RESERVATION", {"response_url": mine(net, "c"), "reservation_id": "RES-1"}, to=None
    )
    assert cancel.answer.status_code == 1000 and cancel.call.header("OCPI-to-party-id") == "CPO"
    unknown = await net.hub.send(
        "commandsReceiverPostCommand",
        net.msp,
        "CANCEL_RESERVATION",
        to=None,
        body={"response_url": mine(net, "c2"), "reservation_id": "RES-NONE"},
    )
    assert unknown.status_code == 2000 and "OCPI-to" in (unknown.message or "")


async def test_the_wait_for_a_result_is_the_cpos_timeout_and_the_grace_and_a_late_result_is_refused(
    make_hub: Any,
) -> None:
    hub: Hub = await make_hub(result_grace=5)
    world = await world_of(hub)
    accepted = ocpi({"result": "ACCEPTED", "timeout": 30})
    sent = await command(world, "START_SESSION", start_session(mine(world, "late")), response=accepted)
    record = await hub.ctx.store.get_callback(secret_id(sent.secret))
    assert record is not None and 34 <= (record.expires - record.created).total_seconds() <= 36
    await hub.ctx.store.set_callback_expiry(record.callback_id, DateTime.from_datetime(now() - timedelta(seconds=1)))
    late = await post_result(world, "START_SESSION", sent.secret, {"result": "ACCEPTED"})
    assert late.status_code == 2000 and "ended" in (late.message or "")
    assert await hub.outbox() == []


@pytest.mark.parametrize(
    ("kind", "fields"),
    [
        ("START_SESSION", {"location_id": "LOC1", "token": ex.token("DE", "MSP", "T"), "evse_uid": "3256"}),
        ("UNLOCK_CONNECTOR", {"location_id": "LOC1", "evse_uid": "3256", "connector_id": "1"}),
        ("STOP_SESSION", {"session_id": "S1"}),
        (
            "RESERVE_NOW",
            {
                "location_id": "LOC1",
                "token": ex.token("DE", "MSP", "T"),
                "expiry_date": "2099-01-01T00:00:00Z",
                "reservation_id": "R9",
            },
        ),
    ],
)
async def test_without_to_a_command_goes_to_the_cpo_its_content_names(
    net: World, kind: str, fields: dict[str, Any]
) -> None:
    sent = await command(net, kind, {"response_url": mine(net, kind), **fields}, to=None)
    assert sent.answer.status_code == 1000
    assert sent.call.url == net.cpo.url("RECEIVER", "commands", f"/{kind}")
    assert (sent.call.header("OCPI-to-country-code"), sent.call.header("OCPI-to-party-id")) == ("NL", "CPO")


async def test_a_command_the_hub_cannot_place_is_answered_as_the_cpo_would_and_sent_nowhere(net: World) -> None:
    hub, msp, oth = net.hub, net.msp, net.oth
    unlock = {"response_url": mine(net, "u"), "location_id": "NOPE", "evse_uid": "1", "connector_id": "1"}
    answer = await hub.send("commandsReceiverPostCommand", msp, "UNLOCK_CONNECTOR", to=None, body=unlock)
    assert (answer.http_status, answer.status_code, answer.data["result"]) == (200, 2003, "REJECTED")
    stop = {"response_url": mine(net, "s"), "session_id": "NOPE"}
    answer = await hub.send("commandsReceiverPostCommand", msp, "STOP_SESSION", to=None, body=stop)
    assert (answer.status_code, answer.data["result"]) == (1000, "UNKNOWN_SESSION")
    hidden = await hub.send(
        "commandsReceiverPostCommand", oth, "STOP_SESSION", to=None, body={**stop, "session_id": "S1"}
    )
    assert (hidden.status_code, hidden.data["result"]) == (1000, "UNKNOWN_SESSION")  # another eMSP's session
    cpo2 = await hub.register("BE", "CP2")
    await hub.send("locationsReceiverPutLocation", cpo2, "BE", "CP2", "LOC1", body=ex.location("BE", "CP2", "LOC1"))
    both = await hub.send(
        "commandsReceiverPostCommand", msp, "START_SESSION", to=None, body=start_session(mine(net, "b"))
    )
    assert both.status_code == 2000 and "several CPOs" in (both.message or "")
    nothing = await hub.send(
        "commandsReceiverPostCommand", msp, "FUTURE_COMMAND", to=None, body={"response_url": "https://x.test/r"}
    )
    assert nothing.status_code == 2000 and "OCPI-to" in (nothing.message or "")
    assert hub.client.to(net.cpo.base) == []


async def test_a_command_body_that_is_not_its_command_is_refused_before_anything_is_sent(net: World) -> None:
    hub, msp = net.hub, net.msp
    for kind, body in (
        ("START_SESSION", {"response_url": "https://msp.test/r"}),
        ("STOP_SESSION", start_session("https://msp.test/r")),
        ("UNLOCK_CONNECTOR", {"location_id": "LOC1"}),
        ("FUTURE_COMMAND", {"no": "response_url"}),
        ("FUTURE_COMMAND", [1, 2]),
    ):
        answer = await hub.send("commandsReceiverPostCommand", msp, kind, to=net.cpo, body=body)
        assert (answer.http_status, answer.status_code) == (200, 2001), kind
    assert hub.client.calls == []


async def test_an_unknown_command_type_passes_through_with_the_hubs_response_url(net: World) -> None:
    body = {"response_url": mine(net, "f"), "whatever": {"the": "future"}}
    sent = await command(net, "FUTURE_COMMAND", body)
    assert sent.answer.status_code == 1000 and sent.call.json() == {**body, "response_url": sent.url}
    assert sent.url.startswith(f"{HUB_BASE}{V}/sender/commands/FUTURE_COMMAND/")


# --- charging profiles ----------------------------------------------------------------------------------------------


def profile_url(world: World, ref: str) -> str:
    return f"{world.msp.base}/sender/chargingprofiles/results/{ref}?request_id={ref}"  # its query is the eMSP's


async def profile_request(
    world: World, method: str, *, to: Any = None, body: Any = None, query: str = ""
) -> tuple[Any, Call | None]:
    op_id = {
        "GET": "chargingprofilesReceiverGetActiveProfile",
        "PUT": "chargingprofilesReceiverPutProfile",
        "DELETE": "chargingprofilesReceiverDeleteProfile",
    }[method]
    cpo = world.cpo
    before = len(world.hub.client.to(cpo.url("RECEIVER", "chargingprofiles")))
    world.hub.client.answer(
        method, cpo.url("RECEIVER", "chargingprofiles"), ocpi({"result": "ACCEPTED", "timeout": 30})
    )
    answer = await world.hub.send(
        op_id, world.msp, "S1", to=to, body=body, query=query, correlation_id=f"corr-{method}"
    )
    calls = world.hub.client.to(cpo.url("RECEIVER", "chargingprofiles"))
    return answer, (calls[-1] if len(calls) > before else None)


@pytest.mark.parametrize("method", ["GET", "DELETE"])
async def test_a_profile_query_goes_to_the_sessions_cpo_with_the_hubs_response_url(net: World, method: str) -> None:
    own = profile_url(net, method)
    query = (
        f"duration=900&response_url={quote(own, safe='')}" if method == "GET" else f"response_url={quote(own, safe='')}"
    )
    answer, call = await profile_request(net, method, query=query)
    assert (answer.status_code, answer.data, answer.relayed) == (1000, {"result": "ACCEPTED", "timeout": 30}, True)
    assert call is not None and call.url.startswith(net.cpo.url("RECEIVER", "chargingprofiles", "/S1?"))
    forwarded = parse_qs(call.url.split("?", 1)[1])
    hub_url = forwarded["response_url"][0]
    assert hub_url.startswith(f"{HUB_BASE}{V}/sender/chargingprofiles/S1/result/")
    if method == "GET":
        assert forwarded["duration"] == ["900"]
    assert (call.header("OCPI-to-party-id"), call.header("OCPI-from-party-id")) == ("CPO", "MSP")

    result = {"result": "ACCEPTED", "profile": ACTIVE} if method == "GET" else {"result": "UNKNOWN"}
    wrong = {"result": "NOT_SUPPORTED"}  # a ChargingProfileResponseType, not a result
    secret = hub_url.rsplit("/", 1)[1]
    refused = await net.hub.send("chargingprofilesSenderPostResult", net.cpo, "S1", secret, body=wrong)
    assert refused.status_code == 2001
    taken = await net.hub.send("chargingprofilesSenderPostResult", net.cpo, "S1", secret, body=result)
    assert taken.status_code == 1000
    [delivery] = await net.hub.outbox()
    assert delivery.url == own and msgspec.json.decode(delivery.body) == result
    assert dict(delivery.headers)["X-Correlation-ID"] == f"corr-{method}"
    assert (dict(delivery.headers)["OCPI-to-party-id"], dict(delivery.headers)["OCPI-from-party-id"]) == ("MSP", "CPO")


async def test_a_set_profile_result_routes_the_cpos_later_updates_to_the_setter(net: World) -> None:
    hub, cpo, msp = net.hub, net.cpo, net.msp
    nowhere = await hub.send("chargingprofilesSenderPutActiveProfile", cpo, "S1", to=None, body=ACTIVE)
    assert nowhere.status_code == 2000 and "no party set" in (nowhere.message or "")

    body = {"charging_profile": PROFILE, "response_url": profile_url(net, "put"), "x_vendor": True}
    answer, call = await profile_request(net, "PUT", to=cpo, body=body)
    assert answer.status_code == 1000 and call is not None
    hub_url = call.json()["response_url"]
    assert call.json() == {**body, "response_url": hub_url}
    assert hub_url.startswith(f"{HUB_BASE}{V}/sender/chargingprofiles/S1/result/")
    taken = await hub.send(
        "chargingprofilesSenderPostResult", cpo, "S1", hub_url.rsplit("/", 1)[1], body={"result": "ACCEPTED"}
    )
    assert taken.status_code == 1000

    hub.client.answer("PUT", msp.url("SENDER", "chargingprofiles"), ocpi())
    update = msgspec.json.encode(ACTIVE)
    relayed = await hub.send("chargingprofilesSenderPutActiveProfile", cpo, "S1", to=None, body=update)
    assert (relayed.status_code, relayed.relayed) == (1000, True)
    [forwarded] = hub.client.to(msp.url("SENDER", "chargingprofiles"))
    assert forwarded.url == msp.url("SENDER", "chargingprofiles", "/S1") and forwarded.body == update
    assert (forwarded.header("OCPI-to-party-id"), forwarded.header("OCPI-from-party-id")) == ("MSP", "CPO")


async def test_profile_requests_the_hub_cannot_place_or_read(net: World) -> None:
    hub = net.hub
    own = quote(profile_url(net, "x"), safe="")
    no_duration, call = await profile_request(net, "GET", query=f"response_url={own}")
    assert no_duration.status_code == 2001 and call is None
    no_url, call = await profile_request(net, "DELETE", query="")
    assert no_url.status_code == 2001 and call is None
    hidden = await hub.send(
        "chargingprofilesReceiverGetActiveProfile", net.oth, "S1", to=None, query=f"duration=60&response_url={own}"
    )
    assert (hidden.status_code, hidden.data["result"]) == (1000, "UNKNOWN_SESSION")
    unknown = await hub.send(
        "chargingprofilesReceiverGetActiveProfile", net.msp, "NOPE", to=None, query=f"duration=60&response_url={own}"
    )
    assert (unknown.status_code, unknown.data["result"]) == (1000, "UNKNOWN_SESSION")
    bad_body, call = await profile_request(net, "PUT", to=net.cpo, body={"response_url": profile_url(net, "y")})
    assert bad_body.status_code == 2001 and call is None
    assert hub.client.to(net.cpo.base) == []
