"""HTTP layer: Litestar controllers per OCPI module and interface, the authentication hook, the error renderer."""
