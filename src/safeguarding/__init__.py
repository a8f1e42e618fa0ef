"""Safeguarding Hub: joins up partner agencies' records to protect children from exploitation."""
