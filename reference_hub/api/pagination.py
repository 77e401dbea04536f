"""Paginated GET lists: query parameters in, ``X-Total-Count`` / ``X-Limit`` / ``Link`` out.

``date_from`` is inclusive and ``date_to`` exclusive on ``last_updated``; ``limit`` is capped at the server's page size,
which ``X-Limit`` always reports; ``Link: <...>; rel="next"`` appears on every page but the last and keeps the request's
other query parameters.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import msgspec
from litestar import Request

from reference_hub.api.context import HubContext
from reference_hub.api.responses import OcpiResponse, ocpi_response
from reference_hub.api.slashes import ORIGINAL_PATH_KEY
from reference_hub.faults import Fault
from reference_hub.hub import pages
from reference_hub.hub.pages import PageRequest


def page_request(request: Request[Any, Any, Any], ctx: HubContext) -> PageRequest:
    """Parse and cap the pagination parameters of a request (see ``hub/pages.py``)."""
    return pages.page_request(request.query_params, ctx.settings)


def paginated_response(
    request: Request[Any, Any, Any],
    ctx: HubContext,
    page: PageRequest,
    items: list[Any],
    total: int,
    item_model: Any = None,
) -> OcpiResponse:
    faults = ctx.settings.faults
    headers = {"X-Total-Count": str(total), "X-Limit": str(ctx.settings.page_limit)}
    next_offset = page.offset + len(items)
    if page.limit > 0 and items and next_offset < total and Fault.NO_LINK_HEADER not in faults:
        query = {k: v for k, v in request.query_params.items() if k not in ("offset", "limit")}
        if Fault.LINK_DROPS_FILTERS in faults:
            query = {k: v for k, v in query.items() if k not in ("date_from", "date_to")}
        if Fault.LINK_NON_OCPI_DATES in faults:
            for key in ("date_from", "date_to"):
                if key in query:
                    parsed = pages.query_datetime(request.query_params, key)
                    query[key] = parsed.isoformat() if parsed is not None else "None"
        query.update(offset=str(next_offset), limit=str(page.limit))
        path = str(request.scope.get(ORIGINAL_PATH_KEY) or request.url.path)
        if Fault.LINK_TO_OTHER_URL in faults:
            path = "/ocpi/versions"
        url = f"{ctx.settings.base_url}{path}?{urlencode(query)}"
        headers["Link"] = f'<{url}>; rel="next"'
    elif Fault.EMPTY_LINK_LAST_PAGE in faults:
        headers["Link"] = ""
    if Fault.DROP_TOTAL_COUNT in faults:
        headers.pop("X-Total-Count")
    if Fault.DROP_LIMIT_HEADER in faults:
        headers.pop("X-Limit")
    if any(fault in faults for fault in _CONFORMING_ITEM_VARIANTS):
        items = [_variant(faults, msgspec.json.decode(ctx.codec.encode(item)), item_model) for item in items]
    return ocpi_response(request, ctx, items, headers=headers)


_CONFORMING_ITEM_VARIANTS = frozenset({Fault.LOWERCASE_CISTRINGS, Fault.NULL_OPTIONAL_FIELDS})


def _variant(faults: tuple[str, ...], doc: Any, model: Any) -> Any:
    """A page item (as JSON) as another platform would conformingly write it (the switches a certifier must pass);
    ``model`` (the items' model, when known) says which fields are optional."""
    if not isinstance(doc, dict):
        return doc
    if Fault.NULL_OPTIONAL_FIELDS in faults and isinstance(model, type) and issubclass(model, msgspec.Struct):
        for field in msgspec.structs.fields(model):
            if field.encode_name not in doc and not field.required:
                doc[field.encode_name] = None
    if Fault.LOWERCASE_CISTRINGS in faults:
        for name in ("country_code", "party_id"):
            if isinstance(doc.get(name), str):
                doc[name] = doc[name].lower()
    return doc


__all__ = ("PageRequest", "page_request", "paginated_response")
