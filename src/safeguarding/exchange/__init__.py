"""Import and export of the partnership exchange format (../shared/exchange/SPEC.md)."""
