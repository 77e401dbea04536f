"""Each client-owned-object fault switch breaks exactly its rule on a real hub (so a certifier can be tested on it)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from reference_hub.faults import Fault
from tests.e2e.test_objects import Platform, ok, register
from tests.support import examples as ex
from tests.support.processes import HubProcess, PartyProcess

pytestmark = pytest.mark.e2e

OBJECT_FAULTS = [
    Fault.PATCH_WITHOUT_LAST_UPDATED,
    Fault.PARENT_NOT_BUMPED,
    Fault.CDR_NO_LOCATION_HEADER,
    Fault.CDR_OVERWRITTEN,
    Fault.SESSION_PATCH_REPLACES_PERIODS,
    Fault.ID_MISMATCH_ACCEPTED,
    Fault.VISIBILITY_IGNORED,
    Fault.WRONG_OWNER_ACCEPTED,
    Fault.NO_ROUTING_HEADERS,
    Fault.UNKNOWN_OBJECT_200,
]


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Platform, Platform, Platform]]:
    hub = HubProcess(tmp_path_factory.mktemp("faulty") / "hub.db", faults=[f.value for f in OBJECT_FAULTS]).start()
    parties = [
        PartyProcess("NL", "CPO").start(),
        PartyProcess("DE", "MSP", "--role", "EMSP").start(),
        PartyProcess("DE", "OTH", "--role", "EMSP").start(),
    ]
    try:
        yield tuple(Platform(hub, p.country, p.party, register(hub, p)) for p in parties)  # type: ignore[misc]
    finally:
        for p in parties:
            p.stop()
        hub.stop()


def test_every_fault_switch_is_exercised_by_a_test() -> None:
    """Here, by the harness tests, or (the add-on modules' switches, until harness scenarios use them) in process."""
    from tests.e2e.test_async_faults import ASYNC_FAULTS
    from tests.e2e.test_routing_faults import ROUTING_FAULTS
    from tests.harness.test_against_reference_hub import FAULTS as HARNESS_FAULTS
    from tests.hub.test_bookings import BOOKINGS_FAULTS
    from tests.hub.test_invoicereconciliation import IR_FAULTS

    here = {f.value for f in OBJECT_FAULTS} | {f.value for f in ROUTING_FAULTS} | {f.value for f in ASYNC_FAULTS}
    in_process = {f.value for f in (*IR_FAULTS, *BOOKINGS_FAULTS)}
    assert {f.value for f in Fault} == set(HARNESS_FAULTS) | here | in_process


def test_faults_break_their_rules(faulty: Any) -> None:
    cpo, msp, oth = faulty
    url = "/receiver/locations/NL/CPO/LOC1"
    ok(cpo.call("PUT", url, ex.location("NL", "CPO", "LOC1")), 201)

    # parent_not_bumped
    ok(cpo.call("PATCH", f"{url}/3256", {"status": "CHARGING", "last_updated": "2020-01-01T00:00:00Z"}))
    assert ok(cpo.call("GET", url))["data"]["last_updated"] == "2015-06-29T20:39:09Z"
    # patch_without_last_updated
    ok(cpo.call("PATCH", url, {"name": "renamed"}))
    assert ok(cpo.call("GET", url))["data"]["name"] == "renamed"
    # id_mismatch_accepted
    ok(cpo.call("PUT", "/receiver/locations/NL/CPO/LOCX", ex.location("NL", "CPO", "SOMETHING-ELSE")), 201)
    # wrong_owner_accepted
    ok(cpo.call("PUT", "/receiver/tariffs/DE/MSP/T1", ex.tariff("DE", "MSP", "T1")), 201)
    # no_routing_headers
    answer = cpo.call("GET", url)
    assert not [h for h in answer.headers if h.lower().startswith("ocpi-")]
    # unknown_object_200
    missing = cpo.call("GET", "/receiver/locations/NL/CPO/NOPE")
    assert missing.status_code == 200 and missing.json()["status_code"] == 2003

    # session_patch_replaces_periods
    surl = "/receiver/sessions/NL/CPO/S1"
    ok(cpo.call("PUT", surl, ex.session("NL", "CPO", "DE", "MSP", "S1")), 201)
    patch = {"charging_periods": [ex.period("2015-06-29T23:00:00Z", 1.0)], "last_updated": "2015-06-29T23:00:00Z"}
    ok(cpo.call("PATCH", surl, patch))
    assert len(ok(cpo.call("GET", surl))["data"]["charging_periods"]) == 1
    # visibility_ignored: another eMSP sees DE/MSP's session
    assert [s["id"] for s in ok(oth.call("GET", "/sender/sessions"))["data"]] == ["S1"]

    # cdr_no_location_header, cdr_overwritten
    cdr = ex.cdr("NL", "CPO", "DE", "MSP", "C1")
    posted = cpo.call("POST", "/receiver/cdrs", cdr)
    ok(posted, 201)
    assert "Location" not in posted.headers
    ok(cpo.call("POST", "/receiver/cdrs", cdr | {"total_energy": 1.0}), 201)
    assert [c["total_energy"] for c in ok(msp.call("GET", "/sender/cdrs"))["data"]] == [1.0]
