"""Fault switches: deliberate protocol violations, off by default, that prove a conformance tool catches them.

Each switch is applied at exactly one edge of the hub and named here once; code tests ``Fault.X in settings.faults``
(a typo is an AttributeError, never a silently dead switch). The values are the names used on the command line
(``ocpi-hub serve --fault NAME``), in YAML and in ``OCPI_HUB_FAULTS``. Never set one in production.
"""

from __future__ import annotations

from enum import StrEnum


class Fault(StrEnum):
    """Every fault switch the hub knows, grouped by the rule it breaks."""

    # --- pagination (every paginated GET) ---------------------------------------------------------------------
    DROP_TOTAL_COUNT = "drop_total_count"
    """Paginated answers omit ``X-Total-Count``."""
    DROP_LIMIT_HEADER = "drop_limit_header"
    """Paginated answers omit ``X-Limit``."""
    IGNORE_OFFSET = "ignore_offset"
    """``offset`` is ignored: every page is the first."""
    IGNORE_LIMIT = "ignore_limit"
    """``limit`` is ignored: pages are always the server maximum."""
    IGNORE_DATE_FILTERS = "ignore_date_filters"
    """``date_from`` / ``date_to`` are ignored."""
    DATE_TO_INCLUSIVE = "date_to_inclusive"
    """``date_to`` is treated as inclusive (objects updated exactly at ``date_to`` are returned)."""
    SESSIONS_DATE_FROM_REQUIRED = "sessions_date_from_required"
    """The Sessions list refuses a GET without ``date_from`` (2001), as its interface table marks it required: a
    conforming reading that a certifier must not fault."""
    LINK_DROPS_FILTERS = "link_drops_filters"
    """The ``Link rel="next"`` URL loses ``date_from`` / ``date_to``."""
    NO_LINK_HEADER = "no_link_header"
    """No ``Link`` header even when more pages exist."""
    EMPTY_LINK_LAST_PAGE = "empty_link_last_page"
    """The last page carries an empty ``Link`` header, as some frameworks send: conforming (there is no next page to
    link to), so a certifier must pass it."""
    LOWERCASE_CISTRINGS = "lowercase_cistrings"
    """List pages give ``country_code`` and ``party_id`` in lower case: conforming (they are CiStrings, compared
    without regard to case), so a certifier must pass it."""
    NULL_OPTIONAL_FIELDS = "null_optional_fields"
    """List pages write every optional field left out as ``null``, as some serialisers do: conforming (optional fields
    may be absent or null), so a certifier must pass it."""

    # --- envelope, ids and formats ----------------------------------------------------------------------------
    OFFSET_TIMESTAMPS = "offset_timestamps"
    """DateTimes are written with ``+00:00`` instead of ``Z``."""
    WRONG_STATUS_CODE = "wrong_status_code"
    """Successful answers carry status_code 2000."""
    ERROR_AS_SUCCESS = "error_as_success"
    """Errors are answered HTTP 200 + status_code 1000."""
    NO_REQUEST_ID_ECHO = "no_request_id_echo"
    """``X-Request-ID`` / ``X-Correlation-ID`` are not echoed."""
    MISSING_TIMESTAMP = "missing_timestamp"
    """The envelope has no ``timestamp``."""
    CRASH_ON_BAD_JSON = "crash_on_bad_json"
    """Malformed JSON gets an HTTP 500 plain-text answer instead of 400 + 2001."""
    ROUTING_HEADERS_ON_CONFIG = "routing_headers_on_config"
    """Configuration-module answers carry ``OCPI-from-*`` routing headers."""
    REJECT_UNKNOWN_FIELDS = "reject_unknown_fields"
    """Credentials bodies with unknown fields are refused with 2001."""

    # --- how platforms in the field deviate (URLs, framework defaults, version lists) --------------------------
    TRAILING_SLASH_ENDPOINTS = "trailing_slash_endpoints"
    """Endpoint URLs are advertised with a trailing slash and served correctly in that form (not a defect: a harness
    must pass everything)."""
    SLASHLESS_REDIRECT = "slashless_redirect"
    """Endpoints are advertised without a trailing slash but served only with one: the advertised form is answered
    HTTP 307 to the form with a slash, as web frameworks do by default."""
    UNKNOWN_TOKEN_403 = "unknown_token_403"
    """A present but unknown token gets HTTP 403 instead of 401 (a missing one still gets 401)."""
    VALIDATION_422 = "validation_422"
    """A Credentials body whose business_details has no ``website`` (optional) is refused the way a web framework's
    validation does: HTTP 422 with ``{"detail": [...]}`` and no OCPI envelope, before the handler's own rules (so a
    POST by a registered party or a PUT before registration gets the 422, not the 405, when its body lacks it)."""
    ERRORS_WITHOUT_ENVELOPE = "errors_without_envelope"
    """Error answers (HTTP 4xx/5xx) carry a framework-style ``{"detail": ...}`` body instead of the OCPI envelope."""
    WRITE_ERRORS_WITHOUT_ENVELOPE = "write_errors_without_envelope"
    """Error answers to POST and PUT requests (an unknown token's authorization, a refused push, a 405 on credentials)
    carry a framework-style ``{"detail": ...}`` body instead of the envelope; GET errors keep it, as in platforms
    whose write handlers return their own error bodies."""
    DATA_WRAPPED_IN_LIST = "data_wrapped_in_list"
    """Answers that hold one object (a single Location, EVSE or connector, an AuthorizationInfo, a CommandResponse)
    carry it in a one-element list, as platforms that serialise every ``data`` through one list type do."""
    LINK_TO_OTHER_URL = "link_to_other_url"
    """The ``Link rel="next"`` URL points at another path (the versions endpoint) instead of the list requested."""
    LINK_NON_OCPI_DATES = "link_non_ocpi_dates"
    """The ``Link rel="next"`` URL writes ``date_from``/``date_to`` with ``+00:00`` instead of an OCPI DateTime."""
    MODULE_LISTED_TWICE = "module_listed_twice"
    """The version details list the credentials endpoint twice (once as SENDER, once as RECEIVER)."""
    ONLY_221 = "only_221"
    """The versions list offers only OCPI 2.2.1."""

    # --- authentication and credentials -----------------------------------------------------------------------
    ACCEPT_ANY_TOKEN = "accept_any_token"
    """Any Authorization header is accepted as a registered partner."""
    NO_REGISTRATION_CALLBACK = "no_registration_callback"
    """Registration does not call the party's versions/details endpoints."""
    TOKEN_A_SURVIVES = "token_a_survives"
    """Token A still works after a registration used it."""
    OLD_TOKEN_SURVIVES = "old_token_survives"
    """The previous token C still works after a credentials PUT."""
    CREDENTIALS_ROLES_HUB_ONLY = "credentials_roles_hub_only"
    """The hub's Credentials name only the hub itself in ``roles``, not the parties reachable through it."""
    NO_HUB_PARTY_ID = "no_hub_party_id"
    """The hub's Credentials omit ``hub_party_id``."""

    # --- client-owned objects (locations, sessions, cdrs, tariffs, tokens) -------------------------------------
    PATCH_WITHOUT_LAST_UPDATED = "patch_without_last_updated"
    """A PATCH without ``last_updated`` is accepted (the rule: 2001)."""
    PARENT_NOT_BUMPED = "parent_not_bumped"
    """An EVSE or connector change leaves its Location's ``last_updated`` as it was."""
    CDR_NO_LOCATION_HEADER = "cdr_no_location_header"
    """A CDR POST is answered without the ``Location`` header."""
    CDR_OVERWRITTEN = "cdr_overwritten"
    """A CDR POSTed again with the same id replaces the stored one (CDRs are immutable)."""
    SESSION_PATCH_REPLACES_PERIODS = "session_patch_replaces_periods"
    """A Session PATCH replaces ``charging_periods`` instead of appending to them."""
    CLOSED_ENUMS = "closed_enums"
    """Unknown values of open enumerations (ConnectorType, Capability, Facility, ParkingType, ParkingRestriction,
    TokenType) in a pushed Location or Token are refused with 2001, as code generated with closed enums does."""
    STRICT_MODULE_OBJECTS = "strict_module_objects"
    """A pushed module object with a top-level field the spec does not define is refused with 2001 (a decoder that
    forbids unknown fields; credentials bodies are not affected: see ``reject_unknown_fields``)."""
    OPTIONAL_FIELDS_REQUIRED = "optional_fields_required"
    """A pushed module object (PUT, CDR POST) that leaves out any optional field, at any level, is refused HTTP 422
    without the envelope, as web frameworks' generated models do; with every field present (null for the optional
    ones) it is taken."""
    SUBOBJECT_PUT_UNSUPPORTED = "subobject_put_unsupported"
    """A PUT of a single EVSE or connector is answered HTTP 405: only whole Locations are taken."""
    INVALID_OBJECT_ACCEPTED = "invalid_object_accepted"
    """A Location (or BookingLocation: an object with sub-objects) PUT missing required fields is stored as sent (no
    validation beyond the ids)."""
    INVALID_OBJECT_HTTP_400 = "invalid_object_http_400"
    """A pushed object that fails validation is refused with HTTP 400 (and the 2001 envelope) instead of HTTP 200."""
    AUTHORIZE_TYPE_IGNORED = "authorize_type_ignored"
    """Real-time authorization ignores ``?type=``: the token is looked up, and the request forwarded, as RFID."""
    AUTHORIZE_BODY_DROPPED = "authorize_body_dropped"
    """A real-time authorization is forwarded to the eMSP without its LocationReferences body."""
    BLOCKED_TOKEN_AS_ERROR = "blocked_token_as_error"
    """A real-time authorization whose answer is not ALLOWED is turned into HTTP 403 with status_code 2000."""
    ID_MISMATCH_ACCEPTED = "id_mismatch_accepted"
    """A PUT whose body id differs from the URL id is stored under the URL id."""
    VISIBILITY_IGNORED = "visibility_ignored"
    """GET-all lists every object to every caller (sessions and CDRs of other eMSPs included)."""
    WRONG_OWNER_ACCEPTED = "wrong_owner_accepted"
    """A platform may write under a country_code/party_id it does not serve."""
    NO_ROUTING_HEADERS = "no_routing_headers"
    """Functional-module answers carry no ``OCPI-to-*`` / ``OCPI-from-*`` headers."""
    UNKNOWN_OBJECT_200 = "unknown_object_200"
    """A GET of an unknown object answers HTTP 200 with an error status instead of HTTP 404."""

    # --- routing between parties --------------------------------------------------------------------------------
    REQUEST_ID_REUSED = "request_id_reused"
    """A forwarded request carries the requester's X-Correlation-ID as its X-Request-ID instead of a new id."""
    CORRELATION_ID_DROPPED = "correlation_id_dropped"
    """A forwarded request carries no X-Correlation-ID."""
    ROUTING_HEADERS_NOT_SWAPPED = "routing_headers_not_swapped"
    """A relayed answer carries TO = the receiver and FROM = the requester (not swapped)."""
    LINK_NOT_REWRITTEN = "link_not_rewritten"
    """A relayed ``Link`` still points at the receiver, which the requester cannot call."""
    LAST_UPDATED_REWRITTEN = "last_updated_rewritten"
    """A broadcast object gets the hub's time as ``last_updated``."""
    BROADCAST_ECHOED = "broadcast_echoed"
    """A broadcast also goes back to the platform that sent it."""
    UNKNOWN_RECEIVER_AS_SUCCESS = "unknown_receiver_as_success"
    """A request to an unknown ``OCPI-to-*`` party is answered 1000 instead of 4001."""
    ROLES_PER_INTERFACE = "roles_per_interface"
    """The hub presents itself as one platform with a CPO and an eMSP party and no ``hub_party_id``, answering each
    interface FROM the role that owns it, as platforms serving both sides behind one versions URL do (conforming: a
    certifier must address each interface to its role and pass)."""
    CLIENTINFO_NOT_PUSHED = "clientinfo_not_pushed"
    """Connected platforms are not told (ClientInfo PUT) when a party connects, goes offline or is suspended."""

    # --- asynchronous results: commands and charging profiles (response_url) --------------------------------------
    RESPONSE_URL_NOT_SUBSTITUTED = "response_url_not_substituted"
    """A command or charging-profile request is forwarded with the requester's own ``response_url``."""
    RESULT_NOT_FORWARDED = "result_not_forwarded"
    """An asynchronous result posted to the hub is acknowledged but never delivered to the requester."""
    RESULT_TO_WRONG_PARTY = "result_to_wrong_party"
    """A delivered result names the receiver (the CPO) in ``OCPI-to-*`` and the requester in ``OCPI-from-*``."""
    RESULTS_FROM_ANYONE = "results_from_anyone"
    """A result is taken from any registered platform, not only from the request's receiver."""
    COMMAND_RESPONSE_AS_RESULT = "command_response_as_result"
    """The receiver's synchronous CommandResponse is also delivered to the ``response_url`` as if it were the result."""
    RESULT_TIMEOUT_IGNORED = "result_timeout_ignored"
    """A result is taken after the wait its request allowed has ended."""
    RESULT_REPEAT_ACCEPTED = "result_repeat_accepted"
    """A result posted again to a finished ``response_url`` is delivered again."""

    # --- OCPI 2.2.1 parties: what 2.2.1 platforms commonly get wrong where 2.3.0 changed the rule --------------------
    V221_ROLES_LISTED = "v221_roles_listed"
    """The Credentials a 2.2.1 party gets list the reachable parties beside the hub's ``HUB`` role, the 2.3.0 way."""
    V221_HUB_PARTY_ID = "v221_hub_party_id"
    """The Credentials a 2.2.1 party gets carry ``hub_party_id``, a 2.3.0 field."""
    V221_PRICE_230 = "v221_price_230"
    """Pages served to a 2.2.1 party from the hub's copy carry every Price in its 2.3.0 shape (``before_taxes``,
    ``taxes``) instead of ``excl_vat``/``incl_vat``."""
    V221_TAX_INCLUDED = "v221_tax_included"
    """Tariffs in pages served to a 2.2.1 party keep ``tax_included``, a 2.3.0 field."""
    V221_OPEN_ENUM_VALUES = "v221_open_enum_values"
    """Locations in pages served to a 2.2.1 party carry a ConnectorType only 2.3.0 has (``MCS``): 2.2.1's enumerations
    are closed."""

    # --- add-on modules: Invoice Reconciliation and Bookings ------------------------------------------------------
    IR_SERVED_TO_ALL = "ir_served_to_all"
    """The Invoice Reconciliation Sender list shows every record to every caller, not only to its issuer and the
    counterparty it went to."""
    IR_BROADCAST = "ir_broadcast"
    """An Invoice Reconciliation record the hub cannot route (no ``OCPI-to-*``, no CDR it knows) is broadcast to every
    platform with the Receiver instead of refused with 4001."""
    IR_PUT_MERGES_CDRS = "ir_put_merges_cdrs"
    """An Invoice Reconciliation record PUT adds its ``cdrs`` to the stored list instead of replacing it."""
    BOOKINGS_10_ACCEPTED = "bookings_10_accepted"
    """Bookings 1.0 bodies are not recognised: one that also decodes as 1.1 is taken with its 1.0 fields dropped,
    the others get a 2001 that does not say why."""
    BOOKINGS_10_EMITTED = "bookings_10_emitted"
    """The Bookings Sender serves Calendars and Timeslots with Bookings 1.0 names (``step_size``, ``start_from``,
    ``end_before``)."""
    TIMESLOT_FILTER_IGNORED = "timeslot_filter_ignored"
    """The BookingLocations list ignores ``timeslot_from`` and ``timeslot_to``."""
    BOOKING_BROADCAST = "booking_broadcast"
    """A Booking pushed without ``OCPI-to-*`` goes to every eMSP with the Receiver, not to the eMSP that requested
    it."""
    BOOKING_ANSWER_NOT_KEPT = "booking_answer_not_kept"
    """The Booking a CPO answers a BookingRequest with is relayed but not kept: the hub cannot route the CPO's later
    PATCH of it without ``OCPI-to-*``, nor list it to the eMSP."""


__all__ = ("Fault",)
