.PHONY: run test lint bench bundle
run:   ## install what the kiosk needs into .venv and start it
	bash scripts/run.sh
test:  ## install .venv-test (hub, test and build tools) and run the whole test suite headless
	bash scripts/test.sh
lint:  ## ruff, mypy strict on every package, the layer contract (all set in pyproject.toml)
	bash scripts/setup.sh --test
	.venv-test/bin/ruff check .
	.venv-test/bin/ruff format --check .
	.venv-test/bin/mypy
	.venv-test/bin/lint-imports
bench:  ## every benchmark; each writes its figures to docs/
	bash scripts/setup.sh --test
	for b in kiosk_core sync_link gui_bench link_probe; do .venv-test/bin/python -m bench.$$b || exit 1; done
bundle:  ## the one-folder PyInstaller build, then its headless self-check
	bash scripts/setup.sh --test
	.venv-test/bin/pyinstaller --noconfirm --log-level WARN build.spec
	QT_QPA_PLATFORM=offscreen dist/kiosk/kiosk gui --self-check
