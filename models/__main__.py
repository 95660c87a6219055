"""Print the rule catalog: ``python -m models`` (a table) or ``python -m models --json``."""

from __future__ import annotations

import argparse
import json
import sys

from models.rules import RULES


def main(argv: list[str] | None = None) -> int:
    """Print the catalog; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m models",
                                     description="List the rules the conformance suite judges.")
    parser.add_argument("--json", action="store_true", help="print the catalog as JSON")
    args = parser.parse_args(argv)
    if args.json:
        json.dump([r.as_dict() for r in RULES], sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    widths = (max(len(r.id) for r in RULES), 10, 7)
    print(f"{'ID':<{widths[0]}}  {'BASIS':<{widths[1]}}  {'CODE':<{widths[2]}}  TITLE / SOURCE")
    for r in RULES:
        print(f"{r.id:<{widths[0]}}  {r.basis:<{widths[1]}}  {r.error_code or '-':<{widths[2]}}  "
              f"{r.title}  [{', '.join(r.operations)}]")
        print(f"{'':<{widths[0] + widths[1] + widths[2] + 6}}{r.source}")
    documented = sum(r.basis == "documented" for r in RULES)
    print(f"\n{len(RULES)} rules: {documented} documented, {len(RULES) - documented} observed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
