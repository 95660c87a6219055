"""``python -m conformance.compare BEFORE.json AFTER.json``: the command line of the comparison
of two runs, kept at this name for the command. It only calls into the upgrade stage
(:mod:`conformance.upgrade.compare` says what is compared, what it writes and its exit status).
"""

import sys

from conformance.upgrade.compare import main

if __name__ == "__main__":
    sys.exit(main())
