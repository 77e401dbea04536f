"""OCPI status codes as exceptions.

Raise one of these anywhere below the HTTP layer; ``reference_hub.api.errors`` renders every one of them into the
response envelope in exactly one place. ``http_status`` follows the spec's split: only malformed JSON (400), failed
authentication (401), an object that does not exist (404) and the credentials state rules (405) are HTTP errors;
anything that reached the OCPI layer is answered with HTTP 200 and the OCPI status in the envelope.
"""

from __future__ import annotations

from typing import Any, ClassVar


class OcpiError(Exception):
    """Base class; raise a subclass."""

    status_code: ClassVar[int] = 3000
    """The OCPI status code in the envelope."""
    http_status: ClassVar[int] = 200
    """The HTTP status of the response."""
    default_message: ClassVar[str] = "Generic server error"

    def __init__(self, message: str | None = None, *, http_status: int | None = None, data: Any = None) -> None:
        self.message = message or self.default_message
        self.data = data
        if http_status is not None:
            self.http_status = http_status  # type: ignore[misc]
        super().__init__(self.message)


class GenericClientError(OcpiError):
    """2000: the request cannot be processed."""

    status_code = 2000
    default_message = "Generic client error"


class InvalidOrMissingParameters(OcpiError):
    """2001: a field or parameter is missing or invalid."""

    status_code = 2001
    default_message = "Invalid or missing parameters"


class NotEnoughInformation(OcpiError):
    """2002."""

    status_code = 2002
    default_message = "Not enough information"


class UnknownLocation(OcpiError):
    """2003."""

    status_code = 2003
    default_message = "Unknown location"


class UnknownToken(OcpiError):
    """2004."""

    status_code = 2004
    default_message = "Unknown token"


class GenericServerError(OcpiError):
    """3000: something failed inside this server."""

    status_code = 3000
    default_message = "Generic server error"


class UnableToUseClientApi(OcpiError):
    """3001: this server could not call the client's API (e.g. during registration)."""

    status_code = 3001
    default_message = "Unable to use the client's API"


class UnsupportedVersion(OcpiError):
    """3002: no mutually supported version."""

    status_code = 3002
    default_message = "Unsupported version"


class NoMatchingEndpoints(OcpiError):
    """3003: the client lacks endpoints this server needs."""

    status_code = 3003
    default_message = "No matching endpoints or expected endpoints missing between parties"


class HubGenericError(OcpiError):
    """4000."""

    status_code = 4000
    default_message = "Hub: generic error"


class UnknownReceiver(OcpiError):
    """4001: the OCPI-to-* party is not known to the hub."""

    status_code = 4001
    default_message = "Hub: unknown receiver"


class ForwardTimeout(OcpiError):
    """4002: the forwarded request timed out."""

    status_code = 4002
    default_message = "Hub: timeout on forwarded request"


class ReceiverNotConnected(OcpiError):
    """4003: the receiving party is not connected."""

    status_code = 4003
    default_message = "Hub: connection problem, receiving party is not connected"


class MalformedJson(InvalidOrMissingParameters):
    """HTTP 400: the body is not JSON at all."""

    http_status = 400
    default_message = "The request body is not valid JSON"


class Unauthorized(GenericClientError):
    """HTTP 401: missing or unknown token, or a registration token used outside versions and credentials."""

    http_status = 401
    default_message = "Unauthorized"


class NotFound(GenericClientError):
    """HTTP 404: the addressed object does not exist."""

    http_status = 404
    default_message = "Not found"


class TooManyRequests(GenericClientError):
    """HTTP 429: too many failed authentications from one address, or too much under way for one token.

    OCPI has no status code of its own for this; the client is asked to slow down, so it is a client error (2000),
    and ``Retry-After`` says when to come back.
    """

    http_status = 429
    default_message = "Too many requests"

    def __init__(self, message: str | None = None, *, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = max(1, retry_after)


class PayloadTooLarge(GenericClientError):
    """HTTP 413: the request body is longer than the hub reads."""

    http_status = 413
    default_message = "Request body too large"


class RequestTimeout(GenericClientError):
    """HTTP 408: the client did not send its whole request body in time."""

    http_status = 408
    default_message = "Request body not received in time"


class MethodNotAllowed(GenericClientError):
    """HTTP 405: e.g. credentials POST when already registered, PUT/DELETE when not."""

    http_status = 405
    default_message = "Method not allowed"


__all__ = (
    "ForwardTimeout",
    "GenericClientError",
    "GenericServerError",
    "HubGenericError",
    "InvalidOrMissingParameters",
    "MalformedJson",
    "MethodNotAllowed",
    "NoMatchingEndpoints",
    "NotEnoughInformation",
    "NotFound",
    "OcpiError",
    "PayloadTooLarge",
    "ReceiverNotConnected",
    "RequestTimeout",
    "TooManyRequests",
    "UnableToUseClientApi",
    "Unauthorized",
    "UnknownLocation",
    "UnknownReceiver",
    "UnknownToken",
    "UnsupportedVersion",
)
