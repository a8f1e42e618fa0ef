"""The accounts room's records about signing in and access: temporary passwords, changes of access
awaiting a second administrator, and single sign-on identities.

A Django app of its own inside the accounts room, with its own migrations, so that the accounts app's
tables stay as they are (roles and audit types need no migration; new tables live here)."""
