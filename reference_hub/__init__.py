"""OCPI 2.3.0 reference roaming hub."""

__version__ = "0.1.0"
OCPI_VERSION = "2.3.0"

__all__ = ("OCPI_VERSION", "__version__")
