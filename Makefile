.PHONY: run test lint bench bundle
run:   ## install and start the kiosk
	bash scripts/run.sh
test:  ## install and run the whole test suite headless
	bash scripts/test.sh
lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .
bench:
	.venv/bin/python -m bench.run_all
