"""The ``mottrack`` command, one module per sub-command.

A sub-command module has ``add_parser(sub)``, which adds its parser to the sub-parsers and sets
``func`` and ``prog`` (the leaf parser's own, e.g. ``mottrack plot timeline``, which starts its
error messages); :data:`SUBCOMMANDS` lists them in ``--help`` order (a new sub-command is one
more entry). Modules import their heavy dependencies (torch, TrackEval, supervision, matplotlib)
only when the sub-command runs.

A user's mistake is one line on standard error and exit status 2, never a traceback: bad
options are refused by the parser, bad files and unwritable outputs before the work starts
(output paths by :mod:`mottrack.io.outputs`), a missing optional package names the extra that
brings it, and a results file that cannot be written at the end is saved to the temporary
folder instead (the message says where). Ctrl-C exits with 130.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any

from .. import __version__
from . import convert, demo, evaluate, plot, run, track, train, tune
from .common import missing_package_message, parse_params

__all__ = ["SUBCOMMANDS", "build_parser", "main", "parse_params"]

#: ``add_parser(sub)`` of each sub-command, in ``--help`` order.
SUBCOMMANDS: list[Callable[[Any], None]] = [
    demo.add_parser,
    track.add_parser,
    evaluate.add_parser,
    plot.add_parser,
    run.add_parser,
    tune.add_parser,
    train.add_parser,
    convert.add_parser,
]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``mottrack`` command."""
    parser = argparse.ArgumentParser(
        prog="mottrack",
        description="Online multi-object tracking (SORT, DeepSORT, FairMOT). "
        "'mottrack COMMAND --help' for each command.",
    )
    parser.add_argument("--version", action="version", version=f"mottrack {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in SUBCOMMANDS:
        add(sub)
    return parser


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, ModuleNotFoundError):
        return missing_package_message(exc)
    lines = [line.strip() for line in str(exc).splitlines()]  # one line, paths kept whole
    return " ".join(line for line in lines if line) or type(exc).__name__


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mottrack`` console script.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success; 2 after a one-line error (a bad value or file, an output that cannot be
        written, a missing optional package: ``ValueError``, ``TypeError``, ``OSError``,
        ``ModuleNotFoundError``); 130 after Ctrl-C. Bad options exit with status 2 from the
        parser (``SystemExit``).
    """
    parser = build_parser()
    name = "mottrack"
    try:
        args = parser.parse_args(argv)
        name = getattr(args, "prog", name)
        return int(args.func(args))
    except (ValueError, TypeError, OSError, ModuleNotFoundError) as exc:
        print(f"{name}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{name}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
