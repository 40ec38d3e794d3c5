"""Entry point of the bundled kiosk (PyInstaller): the same CLI as `kiosk`."""

from kiosk.cli import run

if __name__ == "__main__":
    run()
