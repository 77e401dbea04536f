"""The hub's Credentials as GET credentials sends them: the reachable roles are kept encoded between changes of the
party list, and every answer must still equal the Credentials encoded whole, for every caller and after every change."""

from __future__ import annotations

import random

import msgspec
import pytest

from reference_hub.faults import Fault
from reference_hub.hub.credentials import _EncodedRoles
from reference_hub.ocpi.datetime import now
from reference_hub.ocpi.models import BusinessDetails, Credentials, CredentialsRole, Role
from reference_hub.store import PartnerStatus
from tests.hub.inprocess import Hub, HubFactory


async def _both(hub: Hub, exclude: str | None) -> tuple[bytes, bytes]:
    """(the answer as sent, the same Credentials encoded whole)."""
    registrar, encode = hub.ctx.registrar, hub.ctx.codec.encode
    sent = b"".join(await registrar.hub_credentials_json("caller-token", encode, exclude=exclude))
    whole = encode(await registrar.hub_credentials("caller-token", exclude=exclude))
    return sent, whole


@pytest.mark.anyio
async def test_every_caller_gets_the_whole_list_minus_its_own_roles(hub: Hub) -> None:
    first = await hub.register("NL", "CPO", Role.CPO, ("NL", "CP2", Role.CPO))
    middle = await hub.register("DE", "MSP", Role.EMSP)
    last = await hub.register("FR", "NSP", Role.NSP, ("FR", "NS2", Role.NSP))
    for exclude in (first.partner_id, middle.partner_id, last.partner_id, None, "XX-NOT"):
        sent, whole = await _both(hub, exclude)
        assert sent == whole, exclude
        decoded = msgspec.json.decode(sent, type=Credentials)  # still a valid Credentials object
        listed = {(r.country_code, r.party_id) for r in decoded.roles}
        assert ("NL", "CPO") in listed or exclude == first.partner_id
    sent, _ = await _both(hub, middle.partner_id)
    assert b'"MSP"' not in sent and b'"CP2"' in sent and b'"NS2"' in sent


@pytest.mark.anyio
async def test_the_answer_follows_each_change_of_the_party_list(hub: Hub) -> None:
    cpo = await hub.register("NL", "CPO", Role.CPO)
    msp = await hub.register("DE", "MSP", Role.EMSP)
    before, _ = await _both(hub, cpo.partner_id)
    assert b'"MSP"' in before

    await hub.register("BE", "NEW", Role.EMSP)  # a new party appears in the next answer
    sent, whole = await _both(hub, cpo.partner_id)
    assert sent == whole and b'"NEW"' in sent

    stored = await hub.refresh(msp)
    gone = msgspec.structs.replace(stored.partner, status=PartnerStatus.INACTIVE, updated=stored.partner.updated)
    await hub.ctx.store.replace_partner(gone, expected_token_hash=stored.partner.token_hash)
    hub.ctx.registrar.changed()
    sent, whole = await _both(hub, cpo.partner_id)
    assert sent == whole and b'"MSP"' not in sent  # an unregistered party disappears


@pytest.mark.anyio
async def test_a_party_the_operator_removed_disappears_from_the_answer(hub: Hub) -> None:
    """A removed partner's row is gone, so it is not among the partners changed since the last look: the answer must
    still drop it."""
    cpo = await hub.register("NL", "CPO", Role.CPO)
    msp = await hub.register("DE", "MSP", Role.EMSP)
    await hub.register("BE", "OTH", Role.EMSP)
    before, _ = await _both(hub, cpo.partner_id)
    assert b'"MSP"' in before
    assert await hub.ctx.operators.remove(msp.partner_id)
    sent, whole = await _both(hub, cpo.partner_id)
    assert sent == whole and b'"MSP"' not in sent and b'"OTH"' in sent


@pytest.mark.anyio
async def test_the_only_partner_gets_the_hub_alone(hub: Hub) -> None:
    only = await hub.register("NL", "CPO", Role.CPO)
    sent, whole = await _both(hub, only.partner_id)
    assert sent == whole
    assert len(msgspec.json.decode(sent, type=Credentials).roles) == 1


@pytest.mark.parametrize("fault", [Fault.CREDENTIALS_ROLES_HUB_ONLY, Fault.NO_HUB_PARTY_ID, Fault.ROLES_PER_INTERFACE])
@pytest.mark.anyio
async def test_fault_switches_that_reshape_the_answer_still_apply(make_hub: HubFactory, fault: Fault) -> None:
    hub = await make_hub(fault.value)
    cpo = await hub.register("NL", "CPO", Role.CPO)
    await hub.register("DE", "MSP", Role.EMSP)
    sent, whole = await _both(hub, cpo.partner_id)
    assert sent == whole


@pytest.mark.anyio
async def test_registrations_appended_to_the_kept_text_answer_as_a_whole_encoding_would(hub: Hub) -> None:
    """New partners are appended to the kept text rather than re-joined: after each registration, after a partner
    in the middle leaves, and after several registrations between two answers, every caller's answer still equals
    the whole encoding."""
    partners = [await hub.register("NL", "AA0", Role.CPO)]
    await _both(hub, None)  # the text now exists: what follows is appended to it
    for pid in ("AA1", "AA2"):
        partners.append(await hub.register("NL", pid, Role.EMSP, ("NL", "X" + pid[1:], Role.CPO)))
        for exclude in (*(p.partner_id for p in partners), None):
            sent, whole = await _both(hub, exclude)
            assert sent == whole, exclude
    stored = await hub.refresh(partners[1])
    gone = msgspec.structs.replace(stored.partner, status=PartnerStatus.INACTIVE, updated=stored.partner.updated)
    await hub.ctx.store.replace_partner(gone, expected_token_hash=stored.partner.token_hash)
    hub.ctx.registrar.changed()
    partners += [await hub.register("NL", pid, Role.CPO) for pid in ("AA3", "AA4")]
    for exclude in (*(p.partner_id for p in partners), None):
        sent, whole = await _both(hub, exclude)
        assert sent == whole, exclude
    assert b'"AA1"' not in sent and b'"AA4"' in sent and b'"AA3"' in sent


@pytest.mark.anyio
async def test_a_party_renaming_itself_at_each_put_rejoins_one_block_not_the_list(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The attack: a platform changes its business details at every PUT credentials. Each change used to make every
    process join the whole list again at its next answer (70 to 90 ms at 100,000 parties, answering nothing else
    meanwhile). Now it joins the one block that holds the platform: with blocks of 4 and 40 partners, each change
    walks 4 partners, not 40, and every answer still equals the whole encoding."""
    registrar = hub.ctx.registrar
    monkeypatch.setattr("reference_hub.hub.credentials.ROLES_BLOCK", 4)
    parties = [await hub.register("NL", f"A{i:02d}", Role.CPO) for i in range(40)]
    attacker, reader = parties[17], parties[3]
    await _both(hub, reader.partner_id)  # the text exists
    for round_ in range(10):
        stored = await hub.refresh(attacker)
        roles = [
            msgspec.structs.replace(r, business_details=BusinessDetails(name=f"Renamed {round_}"))
            for r in stored.partner.roles
        ]
        renamed = msgspec.structs.replace(stored.partner, roles=roles, updated=now())
        await hub.ctx.store.replace_partner(renamed, expected_token_hash=stored.partner.token_hash)
        registrar.changed()
        walked = registrar._encoded.walked
        sent, whole = await _both(hub, reader.partner_id)
        assert sent == whole and f"Renamed {round_}".encode() in sent
        assert registrar._encoded.walked - walked == 4


def _roles(name: str, count: int) -> list[CredentialsRole]:
    return [
        CredentialsRole(
            role=Role.CPO, business_details=BusinessDetails(name=f"{name}-{n}"), party_id=f"P{n}", country_code="NL"
        )
        for n in range(count)
    ]


@pytest.mark.parametrize("seed", range(8))
def test_blocks_answer_as_the_whole_list_through_any_sequence_of_changes(seed: int) -> None:
    """Unit level: partners added, renamed, given no roles, removed and added back in a seeded random order, with
    blocks of 3; after each step every caller's answer equals the roles encoded whole, in the mapping's order."""
    rng = random.Random(seed)
    encode = msgspec.json.Encoder().encode
    reachable: dict[str, list[CredentialsRole]] = {}
    encoded = _EncodedRoles(block=3)
    gone: list[str] = []
    for step in range(120):
        move = rng.choice(("add", "add", "rename", "remove", "back") if reachable else ("add",))
        if move == "add" or (move == "back" and not gone):
            partner_id = f"N{step}"
            reachable[partner_id] = _roles(partner_id, rng.choice((0, 1, 1, 2)))
            encoded.added(partner_id)
        elif move == "back":
            partner_id = gone.pop(rng.randrange(len(gone)))
            reachable[partner_id] = _roles(f"{partner_id}-back", rng.choice((0, 1, 2)))
            encoded.added(partner_id)
        elif move == "rename":
            partner_id = rng.choice(list(reachable))
            reachable[partner_id] = _roles(f"{partner_id}-{step}", rng.choice((0, 1, 2)))
            encoded.changed(partner_id)
        else:
            partner_id = rng.choice(list(reachable))
            del reachable[partner_id]
            encoded.removed(partner_id)
            gone.append(partner_id)
        if rng.random() < 0.6:  # sometimes several steps between two answers
            for exclude in (*reachable, None, "NOT-LISTED"):
                whole = encode([r for p, roles in reachable.items() if p != exclude for r in roles])[1:-1]
                assert b"".join(encoded.without(reachable, encode, exclude)) == whole, (step, exclude)
