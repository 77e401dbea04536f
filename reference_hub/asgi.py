"""ASGI entry point for servers started by import path (granian / uvicorn workers): settings come from the
environment, which ``ocpi-hub serve`` fills from its flags before starting the workers."""

from __future__ import annotations

from litestar import Litestar

from reference_hub.app import create_app
from reference_hub.settings import load_settings


def app_factory() -> Litestar:
    """Build the app from the environment (``OCPI_HUB_*``, ``OCPI_HUB_CONFIG``)."""
    return create_app(load_settings())


__all__ = ("app_factory",)
