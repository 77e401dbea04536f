"""An example eMSP: registers with the hub, gives it one driver's token, then shows what the hub brings it.

    python3 examples/emsp.py --token-a TOKEN_A

It serves a locations Receiver (a CPO's Location reaches it as the hub's broadcast) and a tokens Sender that
answers real-time authorizations (a CPO asks the hub, the hub asks the token's eMSP: us). Ctrl-C unregisters.
"""

from __future__ import annotations

import sys
import urllib.parse
from typing import Any

from ocpi_party import Party, now, say

TOKEN_UID = "EXAMPLE0001"  # noqa: S105 - a driver's card number, not a secret


def main(argv: list[str]) -> int:
    from ocpi_party import hub_and_token

    args = hub_and_token(argv, "EMSP", "DE/EMS", 9001)
    emsp = Party("EMSP", args.party, args.port, "Example eMSP")
    token = {
        "country_code": emsp.country_code,
        "party_id": emsp.party_id,
        "uid": TOKEN_UID,
        "type": "RFID",
        "contract_id": f"{emsp.country_code}-{emsp.party_id}-C00001",
        "issuer": "Example eMSP",
        "valid": True,
        "whitelist": "ALLOWED",
        "last_updated": now(),
    }

    def locations(method: str, path: str, headers: dict[str, str], body: Any) -> tuple[int, Any]:
        sender = f"{headers.get('OCPI-from-country-code')}/{headers.get('OCPI-from-party-id')}"
        if method == "PUT" and isinstance(body, dict):
            say(f"<- {method} Location {path.strip('/')}: {body.get('address')}, {body.get('city')} (from {sender})")
        else:
            say(f"<- {method} locations {path} (from {sender})")
        return 200, None

    def tokens(method: str, path: str, headers: dict[str, str], body: Any) -> tuple[int, Any]:
        parts = urllib.parse.urlsplit(path)
        uid = urllib.parse.unquote(parts.path.strip("/").split("/")[0])
        if method != "POST" or not parts.path.endswith("/authorize"):
            return 200, [token]  # the tokens Sender list, for a CPO that asks
        if uid != TOKEN_UID:
            say(f"<- authorization of unknown token {uid}")
            return 404, None
        where = (body or {}).get("location_id", "anywhere")
        asker = f"{headers.get('OCPI-from-country-code')}/{headers.get('OCPI-from-party-id')}"
        say(f"<- authorization of token {uid} at location {where} (asked by {asker}): ALLOWED")
        info: dict[str, Any] = {"allowed": "ALLOWED", "token": token, "authorization_reference": f"AUTH-{uid}"}
        if body:
            info["location"] = body
        return 200, info

    emsp.serve("locations", "RECEIVER", locations)
    emsp.serve("tokens", "SENDER", tokens)
    emsp.start()
    emsp.register(args.hub, args.token_a)
    # the hub keeps a copy of our tokens: it routes a CPO's authorization request for one of them to us
    url = f"{emsp.hub_url('tokens', 'RECEIVER')}/{emsp.country_code}/{emsp.party_id}/{TOKEN_UID}?type=RFID"
    status, answer = emsp.call("PUT", url, token, to=emsp.hub_party)
    say(f"-> PUT Token {TOKEN_UID} to the hub: status {answer.get('status_code')} (HTTP {status})")
    emsp.run_until_stopped()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
