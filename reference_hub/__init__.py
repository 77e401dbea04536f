"""OCPI 2.3.0 and 2.2.1 reference roaming hub."""

__version__ = "0.1.0"
OCPI_VERSION = "2.3.0"
"""The newest OCPI version the hub serves (it serves 2.2.1 too: ``reference_hub.ocpi.versions.SERVED``)."""

__all__ = ("OCPI_VERSION", "__version__")
