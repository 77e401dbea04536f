"""The module rules on the hub's own copy (what ``hub/catalogue.py`` rows and the generic engine say): who may write
what, who may read what, PATCH, sub-objects and the Location ``last_updated`` cascade, CDRs POSTed once, Tokens keyed
by uid and type. A refused write changes nothing and plans nothing.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import msgspec
import pytest

from reference_hub.ocpi.models import Role
from tests.hub.inprocess import HUB_BASE, Hub, V, World, ocpi, world_of
from tests.support import examples as ex

pytestmark = pytest.mark.anyio

LOC = "/ocpi/2.3.0/receiver/locations/NL/CPO/LOC1"


async def put_location(world: World, location_id: str = "LOC1", **kw: Any) -> None:
    answer = await world.hub.send(
        "locationsReceiverPutLocation",
        world.cpo,
        "NL",
        "CPO",
        location_id,
        body=ex.location("NL", "CPO", location_id, **kw),
    )
    assert answer.status_code == 1000, answer


async def unchanged(world: World, before: Any, planned: int) -> None:
    assert await world.hub.stored("locations", "NL/CPO", "LOC1") == before
    assert len(await world.hub.outbox()) == planned


async def test_put_creates_then_replaces_and_get_returns_what_was_put(world: World) -> None:
    hub, cpo = world.hub, world.cpo
    location = ex.location("NL", "CPO", "LOC1")
    first = await hub.send("locationsReceiverPutLocation", cpo, "NL", "CPO", "LOC1", body=location)
    again = await hub.send("locationsReceiverPutLocation", cpo, "NL", "CPO", "LOC1", body=location)
    assert (first.http_status, again.http_status) == (201, 200)
    got = await hub.send("locationsReceiverGetLocation", cpo, "NL", "CPO", "LOC1")
    assert (got.status_code, got.data) == (1000, location)  # last_updated included
    evse = await hub.send("locationsReceiverGetEvse", cpo, "NL", "CPO", "loc1", "3256")  # ids are CiStrings
    assert evse.data == location["evses"][0]
    connector = await hub.send("locationsSenderGetConnector", world.msp, "LOC1", "3257", "2")
    assert connector.data == location["evses"][1]["connectors"][1]


@pytest.mark.parametrize(
    ("who", "path", "body", "status", "said"),
    [
        ("cpo", ("DE", "MSP", "LOC1"), ex.location("DE", "MSP", "LOC1"), (404, 2000), "not served by this platform"),
        ("msp", ("DE", "MSP", "LOC1"), ex.location("DE", "MSP", "LOC1"), (200, 2000), "owned by a CPO"),
        ("cpo", ("NL", "CPO", "LOC1"), ex.location("NL", "CPO", "OTHER"), (200, 2001), "id 'OTHER'"),
        ("cpo", ("NL", "CPO", "LOC1"), ex.location("BE", "CPO", "LOC1"), (200, 2001), "country_code"),
        ("cpo", ("NL", "CPO", "LOC1"), ex.location("NL", "CPO", "LOC1") | {"publish": "yes"}, (200, 2001), "publish"),
        (
            "cpo",
            ("NL", "CPO", "LOC1"),
            ex.location("NL", "CPO", "LOC1") | {"address": "x" * 46},
            (200, 2001),
            "address",
        ),
        ("cpo", ("NL", "CPO", "LOC1"), b"{not json", (400, 2001), "JSON"),
        (
            "cpo",
            ("NL", "CPO", "LOC1"),
            {k: v for k, v in ex.location("NL", "CPO", "LOC1").items() if k != "city"},
            (200, 2001),
            "city",
        ),
    ],
    ids=[
        "under-a-party-not-served",
        "by-a-role-that-does-not-own-it",
        "id",
        "country",
        "type",
        "length",
        "json",
        "missing",
    ],
)
async def test_a_refused_write_changes_nothing_and_plans_nothing(
    world: World, who: str, path: tuple[str, ...], body: Any, status: tuple[int, int], said: str
) -> None:
    hub = world.hub
    await put_location(world)
    before, planned = await hub.stored("locations", "NL/CPO", "LOC1"), len(await hub.outbox())
    for to in ("hub", None):
        answer = await hub.send("locationsReceiverPutLocation", getattr(world, who), *path, body=body, to=to)
        assert (answer.http_status, answer.status_code) == status
        assert said in (answer.message or "")
    await unchanged(world, before, planned)
    assert await hub.stored("locations", "DE/MSP", "LOC1") is None
    assert hub.client.calls == []


async def test_a_direct_write_is_checked_in_full_before_it_is_forwarded(world: World) -> None:
    hub = world.hub
    bad = ex.location("NL", "CPO", "LOC1") | {"publish": "yes"}
    answer = await hub.send("locationsReceiverPutLocation", world.cpo, "NL", "CPO", "LOC1", body=bad, to=world.msp)
    assert (answer.status_code, answer.relayed) == (2001, False)
    under = await hub.send(
        "tariffsReceiverPutTariff", world.cpo, "DE", "MSP", "T1", body=ex.tariff("DE", "MSP", "T1"), to=world.msp
    )
    assert (under.http_status, under.status_code) == (404, 2000)
    read = await hub.send("tariffsReceiverGetTariff", world.cpo, "DE", "MSP", "T1", to=world.msp)
    assert (read.http_status, read.status_code) == (404, 2000)  # reading another party's object through the hub
    assert hub.client.calls == []


async def test_an_emsp_may_neither_write_nor_read_locations_under_its_own_ids(world: World) -> None:
    answer = await world.hub.send("locationsReceiverGetLocation", world.msp, "DE", "MSP", "LOC1")
    assert (answer.status_code, answer.http_status) == (2000, 200) and "CPO" in (answer.message or "")


async def test_unknown_fields_and_unknown_values_of_open_enums_are_taken_and_kept(world: World) -> None:
    hub = world.hub
    location = ex.location("NL", "CPO", "LOC1") | {"x_vendor": 1}
    location["evses"][0]["connectors"][0]["standard"] = "FUTURE_PLUG"
    location["facilities"] = ["ROOFTOP_GARDEN"]
    answer = await hub.send("locationsReceiverPutLocation", world.cpo, "NL", "CPO", "LOC1", body=location)
    assert answer.status_code == 1000
    stored = await hub.stored("locations", "NL/CPO", "LOC1")
    assert stored["evses"][0]["connectors"][0]["standard"] == "FUTURE_PLUG"
    assert stored["facilities"] == ["ROOFTOP_GARDEN"]
    token = ex.token("DE", "MSP", "T1", type_="LICENSE_PLATE_FUTURE")
    taken = await hub.send("tokensReceiverPutToken", world.msp, "DE", "MSP", "T1", body=token)
    assert taken.status_code == 1000


async def test_a_patch_needs_last_updated_and_merges_only_what_it_names(world: World) -> None:
    hub, cpo = world.hub, world.cpo
    await put_location(world)
    before, planned = await hub.stored("locations", "NL/CPO", "LOC1"), len(await hub.outbox())
    refused = await hub.send("locationsReceiverPatchLocation", cpo, "NL", "CPO", "LOC1", body={"name": "no stamp"})
    assert (refused.status_code, refused.http_status) == (2001, 200) and "last_updated" in (refused.message or "")
    await unchanged(world, before, planned)

    patch = {"name": "Gent Noord", "last_updated": "2016-01-01T00:00:00Z"}
    answer = await hub.send("locationsReceiverPatchLocation", cpo, "NL", "CPO", "LOC1", body=patch)
    assert (answer.http_status, answer.status_code) == (200, 1000)
    after = await hub.stored("locations", "NL/CPO", "LOC1")
    assert after == before | patch  # everything else as it was, last_updated as sent

    unknown = await hub.send("locationsReceiverPatchLocation", cpo, "NL", "CPO", "NOPE", body=patch)
    assert (unknown.http_status, unknown.status_code) == (404, 2003)
    wrong_id = await hub.send("locationsReceiverPatchLocation", cpo, "NL", "CPO", "LOC1", body=patch | {"id": "X"})
    assert wrong_id.status_code == 2001


async def test_an_evse_or_connector_change_is_its_locations_change(world: World) -> None:
    hub, cpo = world.hub, world.cpo
    await put_location(world)
    stamp = "2015-07-01T10:00:00Z"
    await hub.send(
        "locationsReceiverPatchEvse",
        cpo,
        "NL",
        "CPO",
        "LOC1",
        "3256",
        body={"status": "CHARGING", "last_updated": stamp},
    )
    stored = await hub.stored("locations", "NL/CPO", "LOC1")
    assert stored["last_updated"] == stamp and stored["evses"][0]["last_updated"] == stamp
    assert stored["evses"][0]["status"] == "CHARGING" and stored["evses"][0]["evse_id"] == "BE*BEC*E043256"
    assert stored["evses"][1]["last_updated"] == "2015-06-28T08:12:01Z"  # its sibling untouched

    later = "2015-07-02T00:00:00Z"
    created = await hub.send(
        "locationsReceiverPutConnector", cpo, "NL", "CPO", "LOC1", "3257", "3", body=ex.connector("3", updated=later)
    )
    assert (created.http_status, created.status_code) == (201, 1000)
    stored = await hub.stored("locations", "NL/CPO", "LOC1")
    assert stored["last_updated"] == later and stored["evses"][1]["last_updated"] == later
    assert [c["id"] for c in stored["evses"][1]["connectors"]] == ["1", "2", "3"]

    patch = {"max_amperage": 32, "last_updated": "2015-07-03T00:00:00Z"}
    await hub.send("locationsReceiverPatchConnector", cpo, "NL", "CPO", "LOC1", "3257", "1", body=patch)
    stored = await hub.stored("locations", "NL/CPO", "LOC1")
    assert stored["last_updated"] == stored["evses"][1]["last_updated"] == "2015-07-03T00:00:00Z"
    assert stored["evses"][1]["connectors"][0]["max_amperage"] == 32

    new_evse = ex.evse("4000", updated="2015-07-04T00:00:00Z")
    await hub.send("locationsReceiverPutEvse", cpo, "NL", "CPO", "LOC1", "4000", body=new_evse)
    stored = await hub.stored("locations", "NL/CPO", "LOC1")
    assert [e["uid"] for e in stored["evses"]] == ["3256", "3257", "4000"] and stored[
        "last_updated"
    ] == "2015-07-04T00:00:00Z"


async def test_a_sub_object_needs_its_parents(world: World) -> None:
    hub, cpo = world.hub, world.cpo
    orphan = await hub.send("locationsReceiverPutEvse", cpo, "NL", "CPO", "NOPE", "1", body=ex.evse("1"))
    assert (orphan.http_status, orphan.status_code) == (404, 2003)
    await put_location(world)
    no_evse = await hub.send(
        "locationsReceiverPutConnector", cpo, "NL", "CPO", "LOC1", "999", "1", body=ex.connector("1")
    )
    assert (no_evse.http_status, no_evse.status_code) == (404, 2000)
    mismatch = await hub.send("locationsReceiverPutEvse", cpo, "NL", "CPO", "LOC1", "3256", body=ex.evse("9999"))
    assert mismatch.status_code == 2001
    missing = await hub.send("locationsSenderGetEvse", world.msp, "LOC1", "NOPE")
    assert (missing.http_status, missing.status_code) == (404, 2003)


async def test_a_session_patch_appends_charging_periods_and_a_put_replaces_them(world: World) -> None:
    hub, cpo = world.hub, world.cpo
    await hub.send(
        "sessionsReceiverPutSession", cpo, "NL", "CPO", "S1", body=ex.session("NL", "CPO", "XX", "NOP", "S1")
    )
    period = ex.period("2015-06-29T23:00:00Z", 5.5)
    patch = {"charging_periods": [period], "kwh": 5.5, "last_updated": "2015-06-29T23:00:00Z"}
    await hub.send("sessionsReceiverPatchSession", cpo, "NL", "CPO", "S1", body=patch)
    stored = await hub.stored("sessions", "NL/CPO", "S1")
    assert stored["charging_periods"] == [ex.period("2015-06-29T22:39:09Z", 0.0), period] and stored["kwh"] == 5.5
    await hub.send(
        "sessionsReceiverPatchSession",
        cpo,
        "NL",
        "CPO",
        "S1",
        body={"charging_periods": [], "last_updated": "2015-06-29T23:10:00Z"},
    )
    assert len((await hub.stored("sessions", "NL/CPO", "S1"))["charging_periods"]) == 2  # an empty list adds nothing
    replaced = ex.session("NL", "CPO", "XX", "NOP", "S1") | {"charging_periods": []}
    assert (await hub.send("sessionsReceiverPutSession", cpo, "NL", "CPO", "S1", body=replaced)).http_status == 200
    assert (await hub.stored("sessions", "NL/CPO", "S1"))["charging_periods"] == []


async def test_a_cdr_is_posted_once_and_read_at_the_hubs_url(world: World) -> None:
    hub, cpo, msp, oth = world.hub, world.cpo, world.msp, world.oth
    cdr = ex.cdr("NL", "CPO", "DE", "MSP", "C1")
    hub.client.answer("POST", msp.url("RECEIVER", "cdrs"), ocpi(http=201))
    answer = await hub.send("cdrsReceiverPostCdr", cpo, body=cdr)
    assert (answer.http_status, answer.status_code) == (201, 1000)  # its eMSP's answer (it is connected)
    assert answer.headers["Location"] == f"{HUB_BASE}{V}/receiver/cdrs/NL.CPO.C1"
    for reader in (cpo, msp):
        read = await hub.send("cdrsReceiverGetCdr", reader, "NL.CPO.C1")
        assert (read.status_code, read.data) == (1000, cdr)
    for reader in (oth, world.ptp):
        hidden = await hub.send("cdrsReceiverGetCdr", reader, "NL.CPO.C1")
        assert (hidden.http_status, hidden.status_code) == (404, 2000)

    again = await hub.send("cdrsReceiverPostCdr", cpo, body=cdr | {"total_energy": 1.0})
    assert (again.http_status, again.status_code) == (200, 2000) and "credit CDR" in (again.message or "")
    assert (await hub.stored("cdrs", "NL/CPO", "C1"))["total_energy"] == cdr["total_energy"]
    credit = cdr | {"id": "C2", "credit": True, "credit_reference_id": "C1", "total_cost": {"before_taxes": -4.0}}
    assert (await hub.send("cdrsReceiverPostCdr", cpo, body=credit)).http_status == 201
    under = await hub.send("cdrsReceiverPostCdr", msp, body=ex.cdr("NL", "CPO", "DE", "MSP", "C3"))
    assert (under.http_status, under.status_code) == (404, 2000)  # only the CPO it names writes it
    assert [c.json()["id"] for c in hub.client.calls] == ["C1", "C2"]  # the refused POSTs went nowhere
    assert await hub.outbox() == []


@pytest.mark.parametrize("cdr_id", ["C.1", "C/1", "a\\b", "100%", "%2F", "~d", "..", "x~", "a b?c#d"])
async def test_the_location_of_a_cdr_leads_to_it_whatever_its_id_holds(world: World, cdr_id: str) -> None:
    """Any printable id: the URL the hub hands out is one it serves, once the HTTP server has decoded it."""
    hub = world.hub
    cdr = ex.cdr("NL", "CPO", "XX", "NOP", cdr_id)
    answer = await hub.send("cdrsReceiverPostCdr", world.cpo, body=cdr)
    assert answer.status_code == 1000
    segment = answer.headers["Location"].removeprefix(f"{HUB_BASE}{V}/receiver/cdrs/")
    assert "/" not in segment and "%2F" not in segment.upper() and "%5C" not in segment.upper()
    read = await hub.send(
        "cdrsReceiverGetCdr", world.cpo, unquote(segment), raw_path=f"{V}/receiver/cdrs/{segment}".encode()
    )
    assert (read.status_code, read.data) == (1000, cdr)
    other = await hub.send("cdrsReceiverGetCdr", world.cpo, unquote(segment).replace("NL.", "BE.", 1))
    assert (other.http_status, other.status_code) == (404, 2000)


async def test_tokens_are_keyed_by_uid_and_type(world: World) -> None:
    hub, msp = world.hub, world.msp
    rfid = ex.token("DE", "MSP", "T1")
    app = ex.token("DE", "MSP", "T1", type_="APP_USER", whitelist="NEVER")
    assert (await hub.send("tokensReceiverPutToken", msp, "DE", "MSP", "T1", body=rfid)).http_status == 201
    created = await hub.send("tokensReceiverPutToken", msp, "DE", "MSP", "T1", query="type=APP_USER", body=app)
    assert created.http_status == 201  # another token: same uid, another type
    assert (await hub.send("tokensReceiverGetToken", msp, "DE", "MSP", "T1")).data == rfid  # no ?type= is RFID
    assert (await hub.send("tokensReceiverGetToken", msp, "DE", "MSP", "T1", query="type=APP_USER")).data == app
    mismatch = await hub.send("tokensReceiverPutToken", msp, "DE", "MSP", "T1", query="type=RFID", body=app)
    assert mismatch.status_code == 2001 and "type" in (mismatch.message or "")
    await hub.send(
        "tokensReceiverPatchToken",
        msp,
        "DE",
        "MSP",
        "T1",
        query="type=APP_USER",
        body={"valid": False, "last_updated": "2019-01-01T00:00:00Z"},
    )
    assert (await hub.stored("tokens", "DE/MSP", "T1\tAPP_USER"))["valid"] is False
    assert (await hub.stored("tokens", "DE/MSP", "T1\tRFID"))["valid"] is True
    cpo_reads = await hub.send("tokensSenderGetList", world.cpo)
    assert sorted(t["type"] for t in cpo_reads.data) == ["APP_USER", "RFID"]


async def test_a_tariff_delete_removes_it_and_an_unknown_one_is_404(world: World) -> None:
    hub, cpo = world.hub, world.cpo
    await hub.send("tariffsReceiverPutTariff", cpo, "NL", "CPO", "12", body=ex.tariff("NL", "CPO", "12"))
    assert (await hub.send("tariffsReceiverDeleteTariff", cpo, "NL", "CPO", "12")).status_code == 1000
    for op_id in ("tariffsReceiverGetTariff", "tariffsReceiverDeleteTariff"):
        answer = await hub.send(op_id, cpo, "NL", "CPO", "12")
        assert (answer.http_status, answer.status_code) == (404, 2000), op_id


async def lists(hub: Hub, op_id: str, *readers: Any, query: str = "") -> list[tuple[list[str], int | None]]:
    found = []
    for reader in readers:
        answer = await hub.send(op_id, reader, query=query)
        assert answer.status_code == 1000, answer
        found.append((sorted(str(o.get("id") or o.get("uid")) for o in answer.data), answer.total))
    return found


async def test_get_all_shows_each_role_what_it_may_read_and_counts_only_that(world: World) -> None:
    hub, cpo, msp, oth, ptp = world.hub, world.cpo, world.msp, world.oth, world.ptp
    cpo2 = await hub.register("BE", "CP2")
    nsp = await hub.register("FR", "NSP", Role.NSP)
    await put_location(world, "LOC1")
    await hub.send("locationsReceiverPutLocation", cpo2, "BE", "CP2", "LOC2", body=ex.location("BE", "CP2", "LOC2"))
    # CPO data: every eMSP-like reader sees all of it; a CPO sees its own
    assert await lists(hub, "locationsSenderGetList", msp, nsp, ptp) == [(["LOC1", "LOC2"], 2)] * 3
    assert await lists(hub, "locationsSenderGetList", cpo, cpo2) == [(["LOC1"], 1), (["LOC2"], 1)]

    # tokens: every CPO sees all; an eMSP its own
    await hub.send("tokensReceiverPutToken", msp, "DE", "MSP", "TM", body=ex.token("DE", "MSP", "TM"))
    await hub.send("tokensReceiverPutToken", oth, "DE", "OTH", "TO", body=ex.token("DE", "OTH", "TO"))
    assert await lists(hub, "tokensSenderGetList", cpo, cpo2) == [(["TM", "TO"], 2)] * 2
    assert await lists(hub, "tokensSenderGetList", msp, oth, nsp) == [(["TM"], 1), (["TO"], 1), ([], 0)]

    # sessions and CDRs: personal data, for their CPO and the eMSP of their cdr_token only
    for sid, emsp in (("S-M", "MSP"), ("S-O", "OTH")):
        await hub.send(
            "sessionsReceiverPutSession", cpo, "NL", "CPO", sid, body=ex.session("NL", "CPO", "XX", emsp, sid)
        )
        await hub.send(
            "sessionsReceiverPutSession", cpo, "NL", "CPO", sid, body=ex.session("NL", "CPO", "DE", emsp, sid)
        )
        await hub.send("cdrsReceiverPostCdr", cpo, body=ex.cdr("NL", "CPO", "DE", emsp, f"C{sid}"))
    q = "date_from=2000-01-01T00:00:00Z"
    assert await lists(hub, "sessionsSenderGetList", cpo, msp, oth, cpo2, nsp, query=q) == [
        (["S-M", "S-O"], 2),
        (["S-M"], 1),
        (["S-O"], 1),
        ([], 0),
        ([], 0),
    ]
    assert await lists(hub, "cdrsSenderGetList", cpo, msp, oth, ptp) == [
        (["CS-M", "CS-O"], 2),
        (["CS-M"], 1),
        (["CS-O"], 1),
        ([], 0),
    ]


async def test_a_sender_single_object_is_read_only_where_the_list_would_show_it(world: World) -> None:
    hub = world.hub
    cpo2 = await hub.register("BE", "CP2")
    await put_location(world)
    assert (await hub.send("locationsSenderGetLocation", world.msp, "LOC1")).status_code == 1000
    hidden = await hub.send("locationsSenderGetLocation", cpo2, "LOC1")
    assert (hidden.http_status, hidden.status_code) == (404, 2003)


async def test_pages_of_the_hubs_copy_keep_creation_order_and_date_filters(make_hub: Any) -> None:
    hub: Hub = await make_hub(page_limit=3)
    world = await world_of(hub)
    stamps = [f"2021-01-0{d}T00:00:00Z" for d in range(1, 8)]
    for n, stamp in enumerate(stamps):
        await put_location(world, f"P{n}", updated=stamp)
    query = f"date_from={stamps[1]}&date_to={stamps[6]}"
    first = await hub.send("locationsSenderGetList", world.msp, query=query)
    assert first.total == 5 and [loc["id"] for loc in first.data] == ["P1", "P2", "P3"]  # capped at page_limit
    second = await hub.send("locationsSenderGetList", world.msp, query=query + "&offset=3")
    assert [loc["id"] for loc in second.data] == ["P4", "P5"]  # date_from inclusive, date_to exclusive
    bad = await hub.send("locationsSenderGetList", world.msp, query="offset=-1")
    assert (bad.http_status, bad.status_code) == (200, 2001)


async def test_what_is_kept_is_the_validated_object(world: World) -> None:
    """The stored body is the object re-encoded, so a GET serves it without decoding it again."""
    hub = world.hub
    body = msgspec.json.encode(ex.location("NL", "CPO", "LOC1") | {"last_updated": "2015-06-29T20:39:09.000Z"})
    await hub.send("locationsReceiverPutLocation", world.cpo, "NL", "CPO", "LOC1", body=body)
    assert (await hub.stored("locations", "NL/CPO", "LOC1"))["last_updated"] == "2015-06-29T20:39:09Z"
