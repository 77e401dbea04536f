"""Glue between features/ and pytest: one module per area, each a single ``scenarios(...)`` call."""
