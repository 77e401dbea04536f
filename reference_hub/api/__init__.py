"""HTTP layer: Litestar controllers per OCPI module and interface, the auth guard, the error renderer."""
