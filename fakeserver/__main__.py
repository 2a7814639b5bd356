"""``python -m fakeserver``: the same command as ``fakeserver``."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
