"""Print the catalog: ``python -m models`` (the rule table, then the documentation findings),
``--json`` (rules, findings and the references their citations resolve to) or
``--references`` (the text of docs/observed-behaviour.md)."""

from __future__ import annotations

import argparse
import json
import os
import sys

from models.render import catalog_document, findings_table, references_markdown, rules_table


def main(argv: list[str] | None = None) -> int:
    """Print the catalog; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m models",
                                     description="List the rules the conformance suite judges and "
                                                 "the defects of the documentation it reads.")
    views = parser.add_mutually_exclusive_group()
    views.add_argument("--json", action="store_true",
                       help="print rules, findings, references and doc pages as one JSON object")
    views.add_argument("--references", action="store_true",
                       help="print the markdown of docs/observed-behaviour.md")
    args = parser.parse_args(argv)
    try:
        _print(args)
    except BrokenPipeError:  # piped into head: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no flush error at exit
    return 0


def _print(args: argparse.Namespace) -> None:
    if args.json:
        json.dump(catalog_document(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    elif args.references:
        sys.stdout.write(references_markdown())
    else:
        print("\n".join([*rules_table(), "", *findings_table()]))


if __name__ == "__main__":
    raise SystemExit(main())
