# The two commands: `make run` sets everything up and runs the hub with demo data;
# `make test` runs every test and check (on SQLite and on a throwaway PostgreSQL).
.PHONY: run test setup demo serve

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
