"""Payments routes (2.3.0): the PTP-side Sender and the CPO-side Receiver of Terminals and
FinancialAdviceConfirmations, each forwarded to the party named in ``OCPI-to-*`` or the one the content names, and
answered from the hub's copy otherwise. The rules are in ``hub/payments.py``."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request
from litestar.handlers import HTTPRouteHandler

from reference_hub.api.commands import interfaces_of, mount
from reference_hub.api.context import HubContext, hub_of
from reference_hub.api.modules import _body, _forward, _requester, relayed_response
from reference_hub.api.pagination import page_request, paginated_response
from reference_hub.api.responses import OcpiResponse, ocpi_response
from reference_hub.hub.payments import CONFIRMATIONS, TERMINALS
from reference_hub.ocpi.errors import GenericClientError
from reference_hub.ocpi.models import TerminalPatch
from reference_hub.ocpi.operations import OPERATIONS, Operation

_OPS = {op.operation_id: op for op in OPERATIONS if op.module == "payments"}


def _what(op: Operation) -> str:
    return TERMINALS if op.suffix.startswith("/terminals") else CONFIRMATIONS


async def _connected(ctx: HubContext, party: str | None) -> str | None:
    return party if party is not None and await ctx.directory.serving(party) is not None else None


def _post(name: str) -> Any:
    """PTP -> CPO: a Terminal or a FinancialAdviceConfirmation; forwarded where it is addressed, and kept."""
    op = _OPS[name]
    what = _what(op)

    async def handle(request: Request[Any, Any, Any]) -> OcpiResponse:
        ctx = hub_of(request)
        who, to = await _requester(request, ctx)
        body = await _body(request, ctx)
        obj = ctx.payments.decode(what, body)
        if to is None:
            named = (
                ctx.payments.terminal_cpo(obj) if what == TERMINALS else await ctx.payments.confirmation_cpo(who, obj)
            )
            to = await _connected(ctx, named)
        if to is None:
            await ctx.payments.keep(what, who, body, None)
            return ocpi_response(request, ctx)
        relayed = await _forward(request, ctx, op, who, to, body)
        if relayed.succeeded:
            await ctx.payments.keep(what, who, body, to)
        return relayed_response(request, ctx, relayed)

    return handle


def _get_one(name: str, id_name: str) -> Any:
    op = _OPS[name]
    what = _what(op)

    async def handle(request: Request[Any, Any, Any]) -> OcpiResponse:
        ctx = hub_of(request)
        who, to = await _requester(request, ctx)
        if to is not None:
            return relayed_response(request, ctx, await _forward(request, ctx, op, who, to, None))
        found = await ctx.payments.readable(what, who, str(request.path_params[id_name]))
        return ocpi_response(request, ctx, msgspec.Raw(found.body))

    return handle


def _get_list(name: str) -> Any:
    op = _OPS[name]
    what = _what(op)

    async def handle(request: Request[Any, Any, Any]) -> OcpiResponse:
        ctx = hub_of(request)
        who, to = await _requester(request, ctx)
        if to is not None:
            return relayed_response(request, ctx, await _forward(request, ctx, op, who, to, None))
        page = page_request(request, ctx)
        result = await ctx.payments.page(
            what, who, date_from=page.date_from, date_to=page.date_to, offset=page.offset, limit=page.limit
        )
        return paginated_response(request, ctx, page, result.items, result.total)

    return handle


def _to_ptp(name: str) -> Any:
    """CPO -> PTP: activate, deactivate, PUT or PATCH a terminal; to the PTP named, else the terminal's owner."""
    op = _OPS[name]

    async def handle(request: Request[Any, Any, Any]) -> OcpiResponse:
        ctx = hub_of(request)
        who, to = await _requester(request, ctx)
        body = await _body(request, ctx)
        terminal_id = request.path_params.get("terminal_id")
        found = None
        if terminal_id is not None:
            try:
                found = await ctx.payments.readable(TERMINALS, who, str(terminal_id))
            except GenericClientError:
                found = None
        if op.method == "PUT":
            ctx.payments.decode(TERMINALS, body)
        elif op.method == "PATCH":
            ctx.codec.decode(body, TerminalPatch)
        if to is None:
            if found is None:
                raise GenericClientError(
                    "the hub cannot tell which payment terminal provider this is for: name it in OCPI-to-*"
                )
            to = found.owner
        relayed = await _forward(request, ctx, op, who, to, body or None)
        if relayed.succeeded and found is not None and op.method in ("PUT", "PATCH"):
            await ctx.payments.update_terminal(found, body, patch=op.method == "PATCH")
        return relayed_response(request, ctx, relayed)

    return handle


_HANDLERS = {
    "paymentsSenderGetTerminals": _get_list("paymentsSenderGetTerminals"),
    "paymentsSenderActivateTerminal": _to_ptp("paymentsSenderActivateTerminal"),
    "paymentsSenderGetTerminal": _get_one("paymentsSenderGetTerminal", "terminal_id"),
    "paymentsSenderPutTerminal": _to_ptp("paymentsSenderPutTerminal"),
    "paymentsSenderPatchTerminal": _to_ptp("paymentsSenderPatchTerminal"),
    "paymentsSenderDeactivateTerminal": _to_ptp("paymentsSenderDeactivateTerminal"),
    "paymentsSenderGetFinancialAdviceConfirmations": _get_list("paymentsSenderGetFinancialAdviceConfirmations"),
    "paymentsSenderGetFinancialAdviceConfirmation": _get_one(
        "paymentsSenderGetFinancialAdviceConfirmation", "financial_advice_confirmation_id"
    ),
    "paymentsReceiverPostTerminal": _post("paymentsReceiverPostTerminal"),
    "paymentsReceiverGetTerminal": _get_one("paymentsReceiverGetTerminal", "terminal_id"),
    "paymentsReceiverPostFinancialAdviceConfirmation": _post("paymentsReceiverPostFinancialAdviceConfirmation"),
    "paymentsReceiverGetFinancialAdviceConfirmation": _get_one(
        "paymentsReceiverGetFinancialAdviceConfirmation", "financial_advice_confirmation_id"
    ),
}


def route_handlers() -> list[HTTPRouteHandler]:
    return mount(_HANDLERS)


def served_interfaces() -> list[tuple[str, str, str]]:
    return interfaces_of(_HANDLERS)


__all__ = ("route_handlers", "served_interfaces")
