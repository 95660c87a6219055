"""``python -m conformance.certificate verify FILE``: the command line that checks a run's
certificate, kept at this name for the command. It only calls into the reports stage
(:mod:`conformance.reports.certificate` says what a certificate holds and the exit statuses).
"""

import sys

from conformance.reports.certificate import main

if __name__ == "__main__":
    sys.exit(main())
