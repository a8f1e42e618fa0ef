# The two commands: `make run` sets everything up and runs the hub with demo data;
# `make test` runs every test and check (on SQLite and on a throwaway PostgreSQL).
.PHONY: run test setup demo serve

# The demo runs on this machine over plain http: cookies without Secure, no HSTS, and
# `safeguarding totp USERNAME` prints a demo account's current code (docs/security.md).
run demo serve: export SAFEGUARDING_LOCAL_DEMO = 1

run: setup
	.venv/bin/safeguarding demo
	./scripts/run.sh

test:
	./scripts/test.sh

setup:
	./scripts/setup.sh

demo: setup
	.venv/bin/safeguarding demo

serve: setup
	./scripts/run.sh
