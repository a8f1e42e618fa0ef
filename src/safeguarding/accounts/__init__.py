"""Agencies, users, roles and the access gateway."""
