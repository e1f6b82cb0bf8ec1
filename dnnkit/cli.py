"""The `dnnkit` command: one module per verb in dnnkit.commands."""
from __future__ import annotations

import argparse
import importlib
import sys

from . import DnnkitError

VERBS = {
    "data": "verify the cat/non-cat HDF5 files, or build a stand-in or a set from a folder of images",
    "references": "regenerate the grader-only reference caches (and public cases) from the source solutions",
    "release": "rebuild release/ with nbgrader generate_assignment, after syncing generated helper files",
    "grade": "grade submissions in a sandbox, scores decided outside it; gradebook, autograded/, grades CSV",
    "report": "an instructor report of an assignment's grades: one HTML page with plots, in autograded/",
    "demo": "grade six demo students end to end in demo/, a course folder of its own, and print their scores",
    "study": "self-study: copy both assignments into study/ (never overwriting your files), then start JupyterLab",
    "hub": "the course server: JupyterHub for the roster's students and the instructors, formgrader as a service",
    "check": "self-study: grade your notebook with the hidden checks of `dnnkit grade`; points, diagnosis, fix",
    "certs": "make the course's Dask TLS certificate for `dnnkit grade --scheduler tls://...` (grader-only .dnnkit/)",
}


def _skip_slow_optional_imports() -> None:
    """jsonschema (under nbformat) imports the optional `rfc3987_syntax` format checker when it is installed,
    which compiles a grammar for 2 s; nbformat never checks that format. Only the dnnkit command does this."""
    if "rfc3987_syntax" not in sys.modules:
        sys.modules["rfc3987_syntax"] = None  # makes `import rfc3987_syntax` raise ImportError: jsonschema skips it


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dnnkit", description=__doc__)
    sub = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    for verb, help_text in VERBS.items():
        module = importlib.import_module(f"dnnkit.commands.{verb}")
        verb_parser = sub.add_parser(verb, help=help_text, description=help_text)
        module.add_arguments(verb_parser)
        verb_parser.set_defaults(run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    _skip_slow_optional_imports()
    args = build_parser().parse_args(argv)
    try:
        return args.run(args) or 0
    except DnnkitError as err:
        print(f"dnnkit {args.verb}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
