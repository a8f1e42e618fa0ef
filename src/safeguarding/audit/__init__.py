"""The append-only, tamper-evident audit trail: views, changes, exports, disclosures, sign-ins."""
