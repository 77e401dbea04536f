"""Why each scenario has the requirement level it has: who the rule binds and how strongly the specification says it.

The level of a scenario is its ``@shall`` / ``@should`` / ``@may`` tag; this table gives, in the project's own words,
the rule behind it and the side it binds. Where the specification binds the other side (the party that registers, not
the platform under test) or only advises, the level is SHOULD or MAY and the basis says so. ``tests/harness/
test_levels.py`` prints the table and compares it with ``features/LEVELS.md``, so a change of level shows in review.
"""

from __future__ import annotations

__all__ = ("LEVEL_BASIS",)

LEVEL_BASIS: dict[str, str] = {
    # versions
    "versions.list-offers-version": "A platform must list the versions it speaks, each with a details URL; the "
    "version under test among them (versions module, mandatory list).",
    "versions.v221-core-modules": "2.2.1 defines nine modules; a later version's module in 2.2.1 details is allowed "
    "only as a custom module agreed bilaterally: SHOULD.",
    "versions.details-endpoints": "Version details must name the version and list endpoints with identifier, role "
    "and URL; credentials is the one mandatory module.",
    "versions.module-listed-once": "Listing a (module, role) or credentials twice is implied to be wrong but no "
    "keyword says so: advice, SHOULD.",
    "versions.schema": "Objects must have the fields, types and lengths the data model defines (mandatory).",
    "versions.advertised-endpoints-answer": "An advertised Sender list must serve a registered partner's GET.",
    # transport
    "transport.no-redirects": "Every answer at an advertised URL must be an OCPI envelope; a 3xx redirect is not.",
    "transport.envelope-success": "Every response body must be the envelope, declared as JSON (SHALL).",
    "transport.envelope-error": "Refusals are responses too: the envelope rule has no exception for errors, whatever "
    "the method or interface (SHALL).",
    "transport.data-shape": "data has the type the data model gives the operation's answer: one object or a list "
    "(SHALL).",
    "transport.timestamp-format": "DateTime values are UTC in the OCPI form; the envelope timestamp is one (SHALL).",
    "transport.request-id-echo": "A response must carry its request's X-Request-ID (SHALL).",
    "transport.correlation-id-echo": "A response must carry its request's X-Correlation-ID (SHALL).",
    "transport.no-routing-headers-on-configuration": "Routing headers must not be used on versions, credentials and "
    "hubclientinfo (SHALL NOT).",
    "transport.success-is-1000": "A valid, allowed request is answered HTTP 200 with status_code 1000.",
    "transport.missing-token": "A request without a token must be refused with HTTP 401 (MUST).",
    "transport.unknown-token": "A request with an unknown token must be refused with HTTP 401 (MUST).",
    "transport.refusal-is-not-success": "A refusal must not carry a 1xxx success code (status code rules).",
    "transport.token-a-scope": "Token A used on a module other than versions or credentials gets HTTP 401 (SHALL).",
    "transport.base64-token": "The server accepts Token <base64 of the token> (SHALL, 2.3.0 Authorization header).",
    "transport.raw-token": "Accepting an unencoded token is a tolerance the spec neither requires nor forbids (MAY).",
    "transport.malformed-json": "A body that is not JSON gets HTTP 400 with a 2xxx envelope (MUST).",
    "transport.unknown-fields-accepted": "A receiver must not reject a payload for fields it does not know "
    "(SHALL NOT).",
    "transport.minimal-objects-accepted": "Fields of cardinality ? or * are optional: an object with its required "
    "fields alone is valid, and a Receiver must take a valid object (SHALL).",
    "transport.routing-headers-on-functional-modules": "Functional-module responses carry the routing headers, "
    "TO and FROM swapped (SHALL be implemented on every request and response).",
    # credentials
    "credentials.put-before-registration-405": "PUT before registration must be refused with HTTP 405 (SHALL).",
    "credentials.delete-before-registration-405": "DELETE before registration must be refused with HTTP 405 (SHALL).",
    "credentials.post-when-registered-405": "POST by a registered party must be refused with HTTP 405 (SHALL).",
    "credentials.registration": "The receiving platform answers a valid POST with its own credentials and a new token "
    "C (credentials handshake, mandatory).",
    "credentials.registration-callback": "Before answering the POST, the receiving platform fetches the registering "
    "party's versions and details with token B (handshake steps, mandatory).",
    "credentials.callback-token-encoding": "The Authorization rule binds the target as a client too: its calls carry "
    "the token base64-encoded (SHALL).",
    "credentials.minimal-body-accepted": "website and logo are optional in BusinessDetails: a Credentials object "
    "without them is valid and must be accepted.",
    "credentials.token-a-retired": "The spec says the registering party MAY no longer use token A; it does not oblige "
    "the issuing platform to refuse it: advice, SHOULD.",
    "credentials.get": "GET credentials returns the platform's Credentials object to a registered party.",
    "credentials.hub-party-id": "A platform with hub functionality SHALL fill hub_party_id (new in 2.3.0).",
    "credentials.hub-role": "In 2.2.1 a hub SHALL list only the HUB role in its credentials; its parties are "
    "announced by HubClientInfo.",
    "credentials.no-hub-party-id": "hub_party_id does not exist in 2.2.1 and 2.2.1 does not oblige receivers to "
    "tolerate unknown fields: sending it to a 2.2.1 partner is SHOULD NOT (a failure under --strict).",
    "credentials.schema": "Credentials answers must match the data model (token, url, roles, business details).",
    "credentials.put-rotation": "A PUT makes the platform re-fetch the party's endpoints and issue a new token.",
    "credentials.old-token-retired": "When the replaced token stops working is left open (ocpi/ocpi #568): SHOULD.",
    "credentials.delete": "DELETE ends the registration with a success answer (mandatory).",
    "credentials.deleted-token-retired": "After DELETE both sides stop; refusing the old token is implied, not "
    "stated: SHOULD.",
    # pagination
    "pagination.total-count": "Every page of a paginated GET carries X-Total-Count (SHALL).",
    "pagination.limit-header": "Every page of a paginated GET carries X-Limit (SHALL).",
    "pagination.limit-param": "A server returns no more objects than limit, and never more than its X-Limit.",
    "pagination.offset-param": "offset is the index of the first object returned.",
    "pagination.link-next": "Every page but the last carries Link rel=next to the next page of the same list (SHALL).",
    "pagination.link-keeps-filters": "The next link keeps the request's date_from and date_to (SHALL).",
    "pagination.date-from-inclusive": "date_from is inclusive on last_updated.",
    "pagination.date-to-exclusive": "date_to is exclusive on last_updated.",
    "pagination.owners-named-in-credentials": "Credentials roles name the parties a platform serves (a hub: those "
    "reachable through it); that every listed object's owner is among them follows from the model but no keyword "
    "states it: SHOULD.",
    "pagination.schema": "List pages must match the data model of the module's objects.",
    "pagination.v221-no-later-fields": "2.2.1 objects have the fields 2.2.1 defines; 2.2.1 neither forbids nor obliges "
    "tolerating others, so a 2.3.0 field sent to a 2.2.1 client is SHOULD NOT (a failure under --strict).",
    # receiver interfaces (the harness writes under its own party ids)
    "locations.receiver-put-get": "A Receiver stores a pushed Location as sent and serves it at the same URL "
    "(Receiver interface, mandatory: pull must stay possible).",
    "locations.receiver-patch-needs-last-updated": "Every PATCH shall carry last_updated; one without it is invalid "
    "and is answered 2001 without being merged.",
    "locations.receiver-evse-change-bumps-location": "An EVSE or connector change sets the parents' last_updated "
    "(stated for the Locations object, SHALL).",
    "locations.receiver-id-mismatch-refused": "Refusing an id that differs from the URL with 2001 is advised, not "
    "required: SHOULD.",
    "locations.receiver-unknown-object-404": "A GET of an unknown object SHOULD be answered HTTP 404.",
    "tariffs.receiver-put-get-delete": "The Tariffs Receiver stores a PUT and removes a tariff on DELETE (mandatory "
    "interface operations).",
    "tariffs.receiver-foreign-party-refused": "The spec lets a Receiver refuse (HTTP 404) an object under a party the "
    "client did not register; it does not oblige it to: advice, SHOULD.",
    "sessions.receiver-put-get": "A Receiver stores a pushed Session as sent and serves it at the same URL.",
    "sessions.receiver-patch-appends-periods": "charging_periods in a Session PATCH are appended to the stored ones "
    "(SHALL).",
    "cdrs.receiver-post-location": "The Receiver answers a CDR POST with a Location header naming the stored CDR "
    "(SHALL); GET there returns it.",
    "cdrs.receiver-not-overwritten": "CDRs are never updated (no PUT/PATCH; corrections are credit CDRs): a repeat "
    "POST must not change a stored CDR.",
    "tokens.receiver-put-get-by-type": "Tokens are identified by uid and type together; the CPO's Receiver keeps "
    "both (mandatory).",
    "locations.sender-single-objects": "The CPO's locations Sender serves one Location, EVSE or connector by id "
    "(interface operations, mandatory for the Sender).",
    "routing.broadcast-delivered": "A push addressed to the hub goes to every connected party receiving the module, "
    "FROM the hub, at the owner's URL (broadcast rules).",
    "routing.direct-delivered": "A request addressed to a party is forwarded to it with TO/FROM kept, and its answer "
    "relayed with them swapped (routing tables).",
    "routing.forward-new-request-id": "A hub forwarding a request SHALL give it a new X-Request-ID.",
    "routing.forward-keeps-correlation-id": "A hub forwarding a request SHALL keep its X-Correlation-ID.",
    "routing.last-updated-untouched": "A hub SHALL NOT modify last_updated on what it forwards.",
    # hub routing, continued (conformance/steps/hub.py)
    "routing.unknown-receiver-4001": "The status codes give a hub error of its own to a request whose TO names no "
    "party the hub knows (4001); answering it as a success says it went somewhere. Any HTTP status.",
    "routing.clientinfo-pushed": "HubClientInfo describes the hub pushing a new ClientInfo to connected platforms, "
    "without a keyword, and push is recommended where pull must always work: SHOULD.",
    "routing.broadcast-not-echoed": "A broadcast goes to the parties of the opposite role; the sender is not one, but "
    "no keyword forbids sending it back: SHOULD.",
    "routing.relayed-link-usable": "How a hub treats URLs in what it relays is left open, but a next-page Link the "
    "requester cannot follow leaves it without the rest of the list: SHOULD.",
    "routing.sessions-shown-to-their-emsp-only": "A Session is for the eMSP of its cdr_token (personal data, never "
    "broadcast) and a server may show a client only what concerns it; no keyword makes a hub hide the others: SHOULD.",
    "tokens.authorize-unknown-token": "An authorization request for a token the eMSP does not know is answered HTTP "
    "404 with status_code 2004 (stated for the eMSP's interface).",
    "tokens.authorize-known-token": "The eMSP answers an authorization request with an AuthorizationInfo for that "
    "token (mandatory object).",
    "tokens.receiver-patch-needs-last-updated": "Every PATCH shall carry last_updated; one without it is invalid "
    "and is answered 2001 without being merged.",
    # -- module objects: open enumerations, sub-objects, invalid objects; authorization by type and refusals ------
    "locations.receiver-unknown-values-accepted": "Receivers must not refuse a body for fields the spec does not "
    "define, and open enumerations (new OpenEnum type in 2.3.0) require tolerating unlisted values: a Location with "
    "either must be taken, its values kept as sent.",
    "locations.receiver-evse-connector-put": "The Locations Receiver interface defines PUT of a single EVSE and of a "
    "single connector, and GET of each (interface operations, mandatory).",
    "locations.receiver-invalid-object-refused": "A body missing a required field is not an object of the module; "
    "the receiver answers a client error (2001 is the code for it) and must not store it and serve it on.",
    "locations.receiver-invalid-object-http-200": "Errors about a well-formed body at an existing endpoint travel in "
    "the envelope with HTTP 200; whether a PUT of a new object addresses an existing resource is not spelled out: "
    "SHOULD.",
    "tokens.authorize-by-type": "A token is identified by uid and type; authorize takes the type from ?type= and "
    "RFID when it is absent (interface definition, mandatory).",
    "tokens.authorize-location-references": "With LocationReferences the eMSP SHALL decide for that Location, and "
    "the location it answers holds only the EVSEs the driver may use (so none the request did not name); a hub "
    "forwarding the request SHALL NOT change it.",
    "tokens.authorize-blocked-token": "A token that exists but may not charge is an answer, not an error: "
    "AuthorizationInfo.allowed carries BLOCKED, EXPIRED, NO_CREDIT or NOT_ALLOWED with HTTP 200 (a valid request "
    "for an existing resource gets no HTTP error).",
    # commands and charging profiles (asynchronous results at a response_url)
    "commands.command-responses": "The commands Receiver answers every command at once with a CommandResponse "
    "(result, timeout) (interface operations, mandatory object).",
    "commands.result-delivered": "After an ACCEPTED answer the CPO posts the CommandResult to the command's "
    "response_url; through a hub it must reach the eMSP (asynchronous flow, routing).",
    "commands.result-routing-headers": "The result is a functional-module request: routing headers TO the eMSP, "
    "FROM the CPO, also when a hub delivers it (SHALL be on every request).",
    "commands.result-once": "One accepted command, one CommandResult at its response_url; the synchronous answer "
    "is not a result, and a hub relays only what the CPO posts.",
    "commands.result-keeps-correlation-id": "A hub forwarding a request (here the CPO's result) SHALL keep its "
    "X-Correlation-ID.",
    "commands.unknown-location-2003": "2003 with REJECTED for an unknown location is shown in the spec's sequence "
    "diagram, not written as a rule: SHOULD.",
    "commands.unknown-session": "UNKNOWN_SESSION is the CommandResponseType defined for an unknown session; no "
    "keyword obliges its use over REJECTED: SHOULD.",
    "chargingprofiles.responses": "GET, PUT and DELETE on the Receiver are answered at once with a "
    "ChargingProfileResponse (interface operations, mandatory object).",
    "chargingprofiles.results-delivered": "After an ACCEPTED answer the result is posted to the request's "
    "response_url; through a hub it must reach the requester (asynchronous flow, routing).",
    # Invoice Reconciliation (2.3.0 edition 2): the issuer owns the records; routing through a hub is not in the spec
    "invoicereconciliation.receiver-post-get": "The Receiver takes a new record by POST and serves it at "
    "{country_code}/{party_id}/{id} (interface operations, mandatory for the Receiver).",
    "invoicereconciliation.receiver-put-replaces-cdrs": "cdrs is the complete list of an invoice's CDRs and a PUT "
    "carries the whole record: the stored list is replaced, never merged (PUT semantics of the module).",
    "invoicereconciliation.sender-list": "The Sender's list answers records of the data model, paged and filtered on "
    "last_updated like every Sender list (interface operations, mandatory object).",
    "invoicereconciliation.routed-by-its-cdrs": "The record names no receiver; that a hub finds the counterparty from "
    "the CDRs it routed is the only way open routing can work, but the spec says nothing of hubs here: SHOULD.",
    "invoicereconciliation.not-broadcast": "Broadcast is for data meant for every party and a record is one "
    "counterparty's financial data; no keyword forbids a hub to broadcast it: SHOULD.",
    "invoicereconciliation.sender-shows-own-records": "A record concerns its issuer and its counterparty; the spec "
    "does not say a Sender hides the others from a caller: SHOULD.",
    # Bookings (1.1): the CPO owns BookingLocations, Calendars and Bookings; the eMSP authors BookingRequests
    "bookings.receiver-put-get": "The eMSP's Receiver stores a pushed BookingLocation and serves it and each of its "
    "Calendars back (interface operations, mandatory for the Receiver).",
    "bookings.receiver-10-refused": "1.0 and 1.1 share the version and the module id and no field says which one a "
    "body is; refusing a 1.0 body (2001) rather than taking it as 1.1 with unknown fields is advice: SHOULD.",
    "bookings.sender-booking-locations": "The CPO's Sender serves the BookingLocations list, one BookingLocation and "
    "one Calendar by id, as the data model defines them (interface operations, mandatory for the Sender).",
    "bookings.sender-timeslot-filter": "timeslot_from and timeslot_to are parameters of the BookingLocations list: a "
    "Sender applies them to the available timeslots it lists (interface definition).",
    "bookings.booking-not-broadcast": "A Booking is the requesting eMSP's; broadcast is for data meant for every "
    "party, but no keyword forbids a hub to broadcast a Booking: SHOULD.",
    "bookings.booking-answer-routed": "The CPO pushes its decision on a Booking to the eMSP that requested it; that a "
    "hub relaying the answer routes the decision there without OCPI-to-* is the spec's flow through a hub, but no "
    "keyword states it: SHOULD.",
}
