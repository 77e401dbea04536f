"""The harness's own OCPI peer, which the target calls back during a run."""

from __future__ import annotations

from conformance.peer.server import PeerServer

__all__ = ("PeerServer",)
