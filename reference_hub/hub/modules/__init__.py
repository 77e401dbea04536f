"""What each module does beyond the generic shapes of ``hub/frontdoor.py``, one file per module, named by its OCPI
ModuleID. A file's ``HANDLERS`` maps operation ids of the operations table to the functions that answer them.

Locations and Tariffs need no file: everything they do is their catalogue row (``hub/catalogue.py``) run through the
generic engine (``hub/objects.py``): a Location's EVSEs and connectors and the ``last_updated`` cascade are its
``sub_objects``, its broadcast is ``broadcast_to``. The same holds for a BookingLocation's Calendars; what Bookings
and Invoice Reconciliation add (routing by content, Bookings 1.0 bodies, the timeslot filter) is in their files.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reference_hub.hub.frontdoor import Handler


@functools.cache
def handlers() -> dict[str, Handler]:
    """Every module file's handlers, by operation id."""
    from reference_hub.hub.modules import (
        bookings,
        cdrs,
        chargingprofiles,
        commands,
        invoicereconciliation,
        payments,
        sessions,
        tokens,
    )

    found: dict[str, Handler] = {}
    for module in (bookings, cdrs, chargingprofiles, commands, invoicereconciliation, payments, sessions, tokens):
        found.update(module.HANDLERS)
    return found


__all__ = ("handlers",)
