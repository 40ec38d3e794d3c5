.PHONY: run test lint bench bundle
run:   ## install and start the kiosk
	bash scripts/run.sh
test:  ## install and run the whole test suite headless
	bash scripts/test.sh
lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .
bench:  ## every benchmark; each writes its figures to docs/
	for b in kiosk_core sync_link gui_bench; do .venv/bin/python -m bench.$$b || exit 1; done
bundle:  ## the one-folder PyInstaller build, then its headless self-check
	.venv/bin/pyinstaller --noconfirm --log-level WARN build.spec
	QT_QPA_PLATFORM=offscreen dist/kiosk/kiosk gui --self-check
