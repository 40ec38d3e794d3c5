"""Entry point of the bundled kiosk (PyInstaller): the same CLI as `kiosk`."""

import sys

from kiosk.cli import main

if __name__ == "__main__":
    sys.exit(main())
