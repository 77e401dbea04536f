"""HTTP layer: Litestar controllers per OCPI module and interface, the auth guard, and the one place errors are rendered."""
