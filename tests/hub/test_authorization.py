"""Real-time authorization (``POST {tokens}/{uid}/authorize``): the token's eMSP decides; when it cannot answer, the
hub answers from its copy only where the token's whitelist lets a CPO decide without the eMSP (``ALWAYS``,
``ALLOWED``, ``ALLOWED_OFFLINE``), and otherwise passes the routing error on (``NEVER``)."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from reference_hub.hub.tokens import authorization_header
from reference_hub.ocpi.models import Role
from reference_hub.store import PartnerStatus
from tests.hub.inprocess import REFUSED_CONNECTION, TIMEOUT, Hub, World, ocpi
from tests.support import examples as ex

pytestmark = pytest.mark.anyio

REFS = {"location_id": "LOC1", "evse_uids": ["3256"]}


async def issue(world: World, uid: str, *, whitelist: str, valid: bool = True, type_: str = "RFID") -> dict[str, Any]:
    token = ex.token("DE", "MSP", uid, whitelist=whitelist, valid=valid, type_=type_)
    query = "" if type_ == "RFID" else f"type={type_}"
    answer = await world.hub.send("tokensReceiverPutToken", world.msp, "DE", "MSP", uid, body=token, query=query)
    assert answer.status_code == 1000
    return token


async def test_the_emsps_answer_is_relayed_as_it_came(world: World) -> None:
    hub, cpo, msp = world.hub, world.cpo, world.msp
    token = await issue(world, "RTA1", whitelist="ALLOWED_OFFLINE")
    info = {"allowed": "BLOCKED", "token": token, "info": {"language": "en", "text": "card blocked"}}
    hub.client.answer("POST", msp.url("SENDER", "tokens"), ocpi(info))
    answer = await hub.send("tokensSenderPostAuthorize", cpo, "RTA1", to=None, body=REFS)
    assert (answer.status_code, answer.relayed, answer.data) == (1000, True, info)  # the eMSP's word, not the copy's


@pytest.mark.parametrize("whitelist", ["ALWAYS", "ALLOWED", "ALLOWED_OFFLINE"])
@pytest.mark.parametrize("failure", [TIMEOUT, REFUSED_CONNECTION], ids=["timeout", "unreachable"])
async def test_the_hub_decides_from_its_copy_when_the_whitelist_allows_it(
    world: World, whitelist: str, failure: Any
) -> None:
    hub, cpo, msp = world.hub, world.cpo, world.msp
    token = await issue(world, "RTA1", whitelist=whitelist)
    blocked = await issue(world, "RTA2", whitelist=whitelist, valid=False)
    hub.client.answer("POST", msp.url("SENDER", "tokens"), failure)
    answer = await hub.send("tokensSenderPostAuthorize", cpo, "RTA1", to=None, body=REFS)
    assert (answer.http_status, answer.status_code, answer.relayed) == (200, 1000, False)
    assert answer.data["allowed"] == "ALLOWED" and answer.data["token"] == token
    assert answer.data["location"] == REFS and answer.data["authorization_reference"]
    refused = await hub.send("tokensSenderPostAuthorize", cpo, "RTA2", to=None)
    assert refused.data["allowed"] == "BLOCKED" and refused.data["token"] == blocked
    assert "authorization_reference" not in refused.data and "location" not in refused.data
    assert len(hub.client.to(msp.base, "POST")) == 2  # the eMSP was asked first, each time


@pytest.mark.parametrize(("failure", "status_code"), [(TIMEOUT, 4002), (REFUSED_CONNECTION, 4003)])
async def test_a_never_token_is_only_the_emsps_to_decide(world: World, failure: Any, status_code: int) -> None:
    hub, cpo, msp = world.hub, world.cpo, world.msp
    await issue(world, "RTA3", whitelist="NEVER")
    hub.client.answer("POST", msp.url("SENDER", "tokens"), failure)
    answer = await hub.send("tokensSenderPostAuthorize", cpo, "RTA3", to=None)
    assert (answer.http_status, answer.status_code, answer.data) == (200, status_code, None)


async def test_a_token_whose_emsp_is_gone_is_answered_from_the_copy_or_refused_by_its_whitelist(world: World) -> None:
    hub, cpo, msp = world.hub, world.cpo, world.msp
    await issue(world, "GONE1", whitelist="ALWAYS")
    await issue(world, "GONE2", whitelist="NEVER")
    await hub.ctx.operators.suspend(msp.partner_id)
    calls = len(hub.client.calls)
    allowed = await hub.send("tokensSenderPostAuthorize", cpo, "GONE1", to=None)
    assert (allowed.status_code, allowed.data["allowed"]) == (1000, "ALLOWED")
    never = await hub.send("tokensSenderPostAuthorize", cpo, "GONE2", to=None)
    assert (never.status_code, never.http_status) == (4003, 200) and "NEVER" in (never.message or "")
    assert [c for c in hub.client.calls[calls:] if "/tokens/" in c.url] == []  # nobody to ask


async def test_the_type_picks_the_token_in_the_copy_too(world: World) -> None:
    hub, cpo, msp = world.hub, world.cpo, world.msp
    await issue(world, "TT", whitelist="ALWAYS", valid=False)
    await issue(world, "TT", whitelist="ALWAYS", type_="APP_USER")
    hub.client.answer("POST", msp.url("SENDER", "tokens"), TIMEOUT)
    rfid = await hub.send("tokensSenderPostAuthorize", cpo, "TT", to=None)
    app = await hub.send("tokensSenderPostAuthorize", cpo, "TT", to=None, query="type=APP_USER")
    assert (rfid.data["allowed"], app.data["allowed"]) == ("BLOCKED", "ALLOWED")
    assert app.data["token"]["type"] == "APP_USER"
    assert hub.client.calls[-1].url.endswith("/TT/authorize?type=APP_USER")


async def test_an_unknown_token_is_404_2004_and_asks_nobody(world: World) -> None:
    hub = world.hub
    answer = await hub.send("tokensSenderPostAuthorize", world.cpo, "NOBODY", to=None, body=REFS)
    assert (answer.http_status, answer.status_code, answer.data) == (404, 2004, None)
    assert answer.message == "unknown token NOBODY of type RFID"
    typed = await hub.send("tokensSenderPostAuthorize", world.cpo, "NOBODY", to=None, query="type=APP_USER")
    assert (typed.http_status, typed.status_code, typed.message) == (404, 2004, "unknown token NOBODY of type APP_USER")
    assert hub.client.calls == []


async def test_an_unknown_token_with_an_invalid_location_reference_is_refused_for_the_reference(world: World) -> None:
    """The body is judged before the token is found unknown, as when the hub answers for a known one."""
    answer = await world.hub.send("tokensSenderPostAuthorize", world.cpo, "NOBODY", to=None, body={"evse_uids": ["1"]})
    assert (answer.http_status, answer.status_code) == (200, 2001)
    assert world.hub.client.calls == []


async def test_addressed_to_an_emsp_the_hub_asks_it_even_without_a_copy(hub: Hub) -> None:
    cpo = await hub.register("NL", "CPO")
    msp = await hub.register("DE", "MSP", Role.EMSP)
    hub.client.answer("POST", msp.url("SENDER", "tokens"), ocpi({"allowed": "ALLOWED", "token": ex.token("DE", "MSP")}))
    answer = await hub.send("tokensSenderPostAuthorize", cpo, "UNSEEN", to=msp, body=REFS)
    assert (answer.status_code, answer.data["allowed"], answer.relayed) == (1000, "ALLOWED", True)
    assert hub.client.calls[0].body == b'{"location_id":"LOC1","evse_uids":["3256"]}'


async def test_an_invalid_location_reference_is_refused_when_the_hub_answers(world: World) -> None:
    hub = world.hub
    await issue(world, "RTA4", whitelist="ALWAYS")
    await hub.ctx.operators.suspend(world.msp.partner_id)
    answer = await hub.send("tokensSenderPostAuthorize", world.cpo, "RTA4", to=None, body={"evse_uids": ["1"]})
    assert (answer.http_status, answer.status_code) == (200, 2001)


async def test_a_suspended_platform_named_in_to_is_4003_before_anything_is_sent(world: World) -> None:
    hub = world.hub
    await hub.ctx.store.get_partner(world.msp.partner_id)
    await hub.ctx.operators.suspend(world.msp.partner_id)
    assert (await hub.ctx.store.get_partner(world.msp.partner_id)).status is PartnerStatus.SUSPENDED  # type: ignore[union-attr]
    answer = await hub.send("tokensSenderPostAuthorize", world.cpo, "RTA1", to=world.msp)
    assert answer.status_code == 4003
    assert [c for c in hub.client.calls if "/tokens/" in c.url] == []


async def test_each_forward_carries_the_token_the_hub_holds_for_the_emsp_now(world: World) -> None:
    """The Authorization header of a receiver is kept per process by its sealed token: a token sealed anew (a
    rotation) is what the next forward carries, never the one before."""
    hub, cpo, msp = world.hub, world.cpo, world.msp
    await issue(world, "ROT1", whitelist="NEVER")
    hub.client.answer("POST", msp.url("SENDER", "tokens"), ocpi({"allowed": "ALLOWED"}))
    await hub.send("tokensSenderPostAuthorize", cpo, "ROT1", to=None)
    await hub.send("tokensSenderPostAuthorize", cpo, "ROT1", to=None)
    first = [c.header("Authorization") for c in hub.client.to(msp.base, "POST")]
    assert first == [authorization_header(msp.outgoing)] * 2
    stored = await hub.ctx.store.get_partner(msp.partner_id)
    assert stored is not None
    rotated = msgspec.structs.replace(stored, outgoing_token=hub.ctx.registrar.vault.encrypt("token-b-rotated"))
    await hub.ctx.store.replace_partner(rotated, expected_token_hash=stored.token_hash)
    hub.ctx.directory.forget()
    await hub.send("tokensSenderPostAuthorize", cpo, "ROT1", to=None)
    assert hub.client.to(msp.base, "POST")[-1].header("Authorization") == authorization_header("token-b-rotated")


async def test_a_party_that_uses_raw_tokens_gets_its_token_raw(hub: Hub) -> None:
    cpo = await hub.register("NL", "CPO")
    msp = await hub.register("DE", "MSP", Role.EMSP, raw_token=True)
    hub.client.answer("POST", msp.url("SENDER", "tokens"), ocpi({"allowed": "ALLOWED"}))
    answer = await hub.send("tokensSenderPostAuthorize", cpo, "RAW1", to=msp)
    assert answer.status_code == 1000
    assert hub.client.to(msp.base, "POST")[-1].header("Authorization") == f"Token {msp.outgoing}"
