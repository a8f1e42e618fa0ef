"""Shared primitives: working-day calendar, normalisers, errors, page helpers."""
