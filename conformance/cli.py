"""``ontap-conformance``: run the installed suite from any directory.

``ontap-conformance [pytest options and suite options]`` runs ``pytest --pyargs
conformance`` with those options: with none, the whole suite against the embedded
emulator, writing its reports into ``./reports``. ``ontap-conformance verify FILE`` checks a
certificate (as ``python -m conformance.certificate verify FILE`` does);
``ontap-conformance --help`` lists every option (the suite's are under "ONTAP iSCSI
credentials conformance"). The exit status
is the run's (0 conformant, 1 nonconformant, 6 inconclusive; pytest's own otherwise).
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Run the suite (or verify a certificate) and return the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["verify"]:
        from conformance.reports import certificate
        return certificate.main(args)
    import pytest

    # -p loads the plugin even where pytest's plugin autoloading is switched off; where the
    # installed entry point already loaded it, pytest skips the second registration. This
    # script has imported the package before pytest could mark it for assertion rewriting
    # (the suite's test modules are rewritten all the same): that one warning is noise.
    return int(pytest.main([
        "--pyargs", "conformance", "-p", "conformance.plugin",
        "-W", f"ignore:{_REWRITE_NOTE}:pytest.PytestAssertRewriteWarning", *args]))


_REWRITE_NOTE = "Module already imported so cannot be rewritten; conformance"


if __name__ == "__main__":
    sys.exit(main())
