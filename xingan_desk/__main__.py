"""`python -m xingan_desk` (and the PyInstaller entry point)."""

import sys

from xingan_desk.cli import main

if __name__ == "__main__":
    sys.exit(main())
