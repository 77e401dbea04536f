"""An example CPO: registers with the hub, publishes one Location and asks for a real-time authorization.

    python3 examples/cpo.py --token-a TOKEN_A

The Location goes to the hub addressed to the hub itself, so the hub keeps it and broadcasts it to every eMSP. The
authorization names no receiver: the hub finds the eMSP whose token it is and relays its answer. Then the CPO
unregisters and stops (--stay keeps it registered and serving until Ctrl-C).
"""

from __future__ import annotations

import sys
import time
import urllib.parse

from ocpi_party import Party, now, say

LOCATION_ID = "LOC-EXAMPLE-1"


def main(argv: list[str]) -> int:
    from ocpi_party import hub_and_token

    stay = "--stay" in argv
    args = hub_and_token([a for a in argv if a != "--stay"], "CPO", "NL/CPO", 9002)
    cpo = Party("CPO", args.party, args.port, "Example CPO")
    cpo.start()
    cpo.register(args.hub, args.token_a)

    location = {
        "country_code": cpo.country_code,
        "party_id": cpo.party_id,
        "id": LOCATION_ID,
        "publish": True,
        "address": "Example street 1",
        "city": "Utrecht",
        "country": "NLD",
        "coordinates": {"latitude": "52.090700", "longitude": "5.121400"},
        "time_zone": "Europe/Amsterdam",
        "last_updated": now(),
    }
    url = f"{cpo.hub_url('locations', 'RECEIVER')}/{cpo.country_code}/{cpo.party_id}/{LOCATION_ID}"
    status, answer = cpo.call("PUT", url, location, to=cpo.hub_party)
    say(
        f"-> PUT Location {LOCATION_ID} to the hub: status {answer.get('status_code')} (HTTP {status}); "
        "the hub broadcasts it to every eMSP"
    )

    uid = "EXAMPLE0001"
    url = f"{cpo.hub_url('tokens', 'SENDER')}/{urllib.parse.quote(uid)}/authorize?type=RFID"
    for _ in range(10):  # the eMSP may still be handing the hub its token
        status, answer = cpo.call("POST", url, {"location_id": LOCATION_ID})
        if answer.get("status_code") != 2004:
            break
        time.sleep(1)
    info = answer.get("data") or {}
    say(
        f"-> authorize token {uid} at {LOCATION_ID}: {info.get('allowed', answer.get('status_message'))} "
        f"(status {answer.get('status_code')}, authorization_reference {info.get('authorization_reference')})"
    )

    if stay:
        cpo.run_until_stopped()
    else:
        cpo.unregister()
    return 0 if info.get("allowed") == "ALLOWED" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
