"""The front door: concerns raised by any agency, and the triage decision on each."""
