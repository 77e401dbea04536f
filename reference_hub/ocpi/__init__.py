"""Wire layer: what OCPI 2.3.0 puts on the wire. Pure msgspec; imports neither Litestar nor a database."""
