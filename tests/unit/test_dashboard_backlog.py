"""What the operator's views say about the delivery backlog, in process (the app on an in-memory SQLite store): the
deliveries set aside for a receiver out of rotation are shown as such, not only counted as pending."""

from __future__ import annotations

from datetime import UTC, datetime

from reference_hub.hub.tokens import hash_token
from reference_hub.ocpi.datetime import DateTime, now
from reference_hub.ocpi.models import BusinessDetails, CredentialsRole, Role
from reference_hub.store import Partner, PartnerStatus
from reference_hub.store.outbox import Delivery
from tests.unit.test_dashboard_security import KEY, _client, sign_in


def _delivery(n: int, receiver: str) -> Delivery:
    stamp = DateTime.from_datetime(datetime(2026, 1, 1, 12, 0, n, tzinfo=UTC))
    return Delivery(
        delivery_id=f"{receiver}-{n}",
        receiver=receiver,
        stream=f"{receiver}/locations/NL/CPO/L{n}",
        method="PUT",
        url=f"http://127.0.0.1:9/ocpi/2.3.0/locations/NL/CPO/L{n}",
        headers=[],
        body=b"{}",
        created=stamp,
        due=stamp,
    )


def test_deliveries_set_aside_for_a_receiver_out_of_rotation_are_shown_as_such() -> None:
    with _client() as c:
        store = c.app.state.hub.store

        async def seed() -> None:
            role = CredentialsRole(
                role=Role.EMSP, business_details=BusinessDetails(name="out"), party_id="OUT", country_code="DE"
            )
            stamp = now()
            partner = Partner(
                partner_id="DE-OUT",
                status=PartnerStatus.ACTIVE,
                token_hash=hash_token("t-out"),
                versions_url="https://out.example.com/ocpi/versions",
                roles=[role],
                created=stamp,
                updated=stamp,
            )
            await store.insert_partner(partner, consume_invitation=None)
            await store.enqueue([_delivery(n, "DE-OUT") for n in range(3)] + [_delivery(9, "FR-ON")])
            await store.park_deliveries(["DE-OUT"])

        assert c.blocking_portal is not None
        c.blocking_portal.call(seed)  # on the app's own event loop, where its store lives
        outbox = c.get("/admin/outbox", headers={"X-Admin-Key": KEY}).json()
        by_receiver = {r["receiver"]: (r["pending"], r["parked"]) for r in outbox["receivers"]}
        assert by_receiver == {"DE-OUT": (3, 3), "FR-ON": (1, 0)}
        assert {d["delivery_id"]: d["parked"] for d in outbox["pending"]} == {
            "DE-OUT-0": True,
            "DE-OUT-1": True,
            "DE-OUT-2": True,
            "FR-ON-9": False,
        }

        sign_in(c)
        page = c.get("/admin/deliveries").text
        out_row = page.split('data-receiver="DE-OUT"', 1)[1].split("</tr>", 1)[0]
        on_row = page.split('data-receiver="FR-ON"', 1)[1].split("</tr>", 1)[0]
        assert "(3 set aside)" in out_row and "set aside" not in on_row
        found = c.get("/admin/deliveries?state=PENDING").text  # Find deliveries: each parked row says so
        rows = {d: found.split(f'data-delivery="{d}"', 1)[1].split("</tr>", 1)[0] for d in ("DE-OUT-1", "FR-ON-9")}
        assert ">set aside</span>" in rows["DE-OUT-1"] and "set aside" not in rows["FR-ON-9"]
        assert '<span id="backlog-parked">3</span> set aside' in c.get("/admin/").text
        assert "3 pending (3 set aside while it is out of rotation)" in c.get("/admin/parties/DE-OUT").text
