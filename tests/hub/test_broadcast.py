"""Broadcast push (``OCPI-to-*`` = the hub): who receives it per module and role, what each receiver is sent, and
what is never broadcast.

The hub keeps the object, plans one delivery per receiving platform in the same write and answers before anything is
sent; the delivery worker then sends each at the owner's URL, FROM = the hub, with the body as it came. Never to the
sender, never a Session, a CDR or a GET.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from reference_hub.hub.tokens import authorization_header
from reference_hub.ocpi.models import InterfaceRole, Role
from reference_hub.store import PartnerStatus
from tests.hub.inprocess import INTERFACES, Hub, Party
from tests.hub.test_direct import unusual
from tests.support import examples as ex

pytestmark = pytest.mark.anyio

R = InterfaceRole.RECEIVER


@dataclass
class Net:
    hub: Hub
    cpo: Party
    """The sender of CPO data, with Locations and Tariffs Receivers of its own: a broadcast never goes back to it."""
    cpo2: Party
    """A second CPO that even advertises a Locations Receiver: CPO data is not for CPOs."""
    msp: Party
    oth: Party
    nsp: Party
    other: Party
    """Role OTHER counts as eMSP-like."""
    two: Party
    """An eMSP platform serving two parties: one delivery to the platform."""
    blind: Party
    """An eMSP without the Locations, Tariffs or Tokens Receiver."""
    suspended: Party


@pytest.fixture
async def net(hub: Hub) -> Net:
    return Net(
        hub,
        await hub.register("NL", "CPO", Role.CPO, interfaces=[*INTERFACES[Role.CPO], ("locations", R), ("tariffs", R)]),
        await hub.register("BE", "CP2", Role.CPO, interfaces=[("locations", R), ("tariffs", R), ("tokens", R)]),
        await hub.register("DE", "MSP", Role.EMSP),
        await hub.register("DE", "OTH", Role.EMSP),
        await hub.register("FR", "NSP", Role.NSP),
        await hub.register("NL", "OTR", Role.OTHER),
        await hub.register("DE", "TWO", Role.EMSP, ("DE", "TW2", Role.EMSP)),
        await hub.register("DE", "BLD", Role.EMSP, interfaces=[("sessions", R), ("cdrs", R)]),
        await hub.register("DE", "SUS", Role.EMSP, status=PartnerStatus.SUSPENDED),
    )


async def test_a_location_goes_to_every_emsp_like_platform_with_the_receiver_at_the_owners_url(net: Net) -> None:
    hub, cpo = net.hub, net.cpo
    body = unusual(ex.location("NL", "CPO", "LOC1"))
    answer = await hub.send(
        "locationsReceiverPutLocation", cpo, "NL", "CPO", "LOC1", body=body, correlation_id="corr-b", request_id="r-b"
    )
    assert (answer.http_status, answer.status_code, answer.relayed, answer.data) == (201, 1000, False, None)
    assert hub.client.calls == []  # answered before anything was sent

    planned = await hub.outbox()
    receivers = [net.msp, net.oth, net.nsp, net.other, net.two]
    assert sorted(d.receiver for d in planned) == sorted(p.partner_id for p in receivers)
    for delivery in planned:
        to = next(p for p in receivers if p.partner_id == delivery.receiver)
        assert delivery.method == "PUT"
        assert delivery.url == to.url("RECEIVER", "locations", "/NL/CPO/LOC1")
        assert dict(delivery.headers) == {
            "X-Correlation-ID": "corr-b",
            "OCPI-to-country-code": to.cc,
            "OCPI-to-party-id": to.pid,
            "OCPI-from-country-code": "NL",
            "OCPI-from-party-id": "HUB",
        }
        assert delivery.body == body  # as the CPO sent it: last_updated untouched
    assert await hub.stored("locations", "NL/CPO", "LOC1") == ex.location("NL", "CPO", "LOC1")

    assert await hub.deliver() == len(receivers)
    assert sorted(c.url for c in hub.client.calls) == sorted(d.url for d in planned)
    for call in hub.client.calls:
        delivery = next(d for d in planned if d.url == call.url)
        to = next(p for p in receivers if p.partner_id == delivery.receiver)
        assert call.header("X-Request-ID") == delivery.delivery_id  # every attempt of one delivery: one id
        assert delivery.delivery_id not in ("r-b", "corr-b")
        assert call.header("Authorization") == authorization_header(to.outgoing)
        assert call.header("X-Correlation-ID") == "corr-b" and call.body == body
    assert await hub.outbox() == []  # delivered


async def test_tariffs_go_where_locations_go_and_so_does_their_delete(net: Net) -> None:
    hub, cpo = net.hub, net.cpo
    await hub.send("tariffsReceiverPutTariff", cpo, "NL", "CPO", "12", body=ex.tariff("NL", "CPO", "12"))
    gone = await hub.send("tariffsReceiverDeleteTariff", cpo, "NL", "CPO", "12")
    assert (gone.http_status, gone.status_code) == (200, 1000)
    planned = await hub.outbox()
    expected = {p.partner_id for p in (net.msp, net.oth, net.nsp, net.other, net.two)}
    puts = [d for d in planned if d.method == "PUT"]
    deletes = [d for d in planned if d.method == "DELETE"]
    assert {d.receiver for d in puts} == {d.receiver for d in deletes} == expected
    assert all(d.body is None and d.url.endswith("/receiver/tariffs/NL/CPO/12") for d in deletes)
    assert await hub.stored("tariffs", "NL/CPO", "12") is None


async def test_tokens_go_to_every_cpo_with_the_tokens_receiver_and_to_no_emsp(net: Net) -> None:
    hub, msp = net.hub, net.msp
    body = unusual(ex.token("DE", "MSP", "TOK1", type_="APP_USER"))
    answer = await hub.send("tokensReceiverPutToken", msp, "DE", "MSP", "TOK1", query="type=APP_USER", body=body)
    assert (answer.http_status, answer.status_code) == (201, 1000)
    planned = await hub.outbox()
    assert sorted(d.receiver for d in planned) == sorted([net.cpo.partner_id, net.cpo2.partner_id])
    for delivery in planned:
        to = net.cpo if delivery.receiver == net.cpo.partner_id else net.cpo2
        assert delivery.url == to.url("RECEIVER", "tokens", "/DE/MSP/TOK1?type=APP_USER")
        assert delivery.body == body


async def test_a_sub_object_change_is_broadcast_at_its_own_url_as_sent(net: Net) -> None:
    hub, cpo = net.hub, net.cpo
    await hub.send("locationsReceiverPutLocation", cpo, "NL", "CPO", "LOC1", body=ex.location("NL", "CPO", "LOC1"))
    first = {d.delivery_id for d in await hub.outbox()}
    patch = b'{"status" : "CHARGING", "last_updated" : "2021-01-01T00:00:00Z"}'
    answer = await hub.send("locationsReceiverPatchEvse", cpo, "NL", "CPO", "LOC1", "3256", body=patch)
    assert (answer.http_status, answer.status_code) == (200, 1000)
    patches = [d for d in await hub.outbox() if d.delivery_id not in first]
    assert {d.receiver for d in patches} == {p.partner_id for p in (net.msp, net.oth, net.nsp, net.other, net.two)}
    assert all(d.method == "PATCH" and d.body == patch for d in patches)
    assert all(d.url.endswith("/receiver/locations/NL/CPO/LOC1/3256") for d in patches)


async def test_one_objects_changes_reach_a_receiver_one_at_a_time_in_order(hub: Hub) -> None:
    cpo = await hub.register("NL", "CPO")
    msp = await hub.register("DE", "MSP", Role.EMSP)
    await hub.send("locationsReceiverPutLocation", cpo, "NL", "CPO", "LOC1", body=ex.location("NL", "CPO", "LOC1"))
    patch = {"name": "renamed", "last_updated": "2021-01-01T00:00:00Z"}
    await hub.send("locationsReceiverPatchLocation", cpo, "NL", "CPO", "LOC1", body=patch)
    await hub.send("locationsReceiverPutLocation", cpo, "NL", "CPO", "LOC2", body=ex.location("NL", "CPO", "LOC2"))
    assert await hub.deliver() == 2  # LOC1's PUT and LOC2's PUT; LOC1's PATCH waits for its PUT
    assert [(c.method, c.url.rsplit("/", 1)[1]) for c in hub.client.to(msp.base)] == [("PUT", "LOC1"), ("PUT", "LOC2")]
    assert await hub.deliver() == 1
    assert hub.client.to(msp.base)[-1].method == "PATCH"


@pytest.mark.parametrize(
    ("op_id", "ids", "body"),
    [
        ("sessionsReceiverPutSession", ("NL", "CPO", "S1"), ex.session("NL", "CPO", "XX", "NOP", "S1")),
        ("cdrsReceiverPostCdr", (), ex.cdr("NL", "CPO", "XX", "NOP", "C1")),
        ("locationsReceiverGetLocation", ("NL", "CPO", "LOC1"), None),
        ("locationsSenderGetList", (), None),
        ("locationsSenderGetLocation", ("LOC1",), None),
        ("tariffsSenderGetList", (), None),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
async def test_sessions_cdrs_and_gets_to_the_hub_are_never_broadcast(
    net: Net, op_id: str, ids: tuple[str, ...], body: object
) -> None:
    hub, cpo = net.hub, net.cpo
    await hub.send("locationsReceiverPutLocation", cpo, "NL", "CPO", "LOC1", body=ex.location("NL", "CPO", "LOC1"))
    before = {d.delivery_id for d in await hub.outbox()}
    asker = net.msp if "Sender" in op_id else cpo
    answer = await hub.send(op_id, asker, *ids, body=body)
    assert answer.status_code == 1000 and not answer.relayed
    assert {d.delivery_id for d in await hub.outbox()} == before
    assert hub.client.calls == []
    if op_id == "sessionsReceiverPutSession":
        assert await hub.stored("sessions", "NL/CPO", "S1") == body  # kept, for its CPO and its eMSP to read
