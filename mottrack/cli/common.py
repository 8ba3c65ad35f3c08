"""What several sub-commands share: argparse value types and ``--tracker``/``--param``;
re-exported, ``--param`` parsing (:func:`mottrack.registry.parse_params`) and the one-line
message for a missing optional package (naming the extra that brings it)."""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable, Sequence

from .._extras import EXTRAS, missing_package_message
from ..registry import parse_params

__all__ = [
    "EXTRAS",
    "add_tracker_options",
    "device_arg",
    "int_at_least",
    "missing_package_message",
    "parse_params",
    "positive_float",
]


def int_at_least(minimum: int) -> Callable[[str], int]:
    """An argparse ``type``: an integer ``>= minimum`` (the parser names the option)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected an integer >= {minimum}, got {text!r}"
            ) from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}, got {value}")
        return value

    return parse


def positive_float(text: str) -> float:
    """An argparse ``type``: a finite float ``> 0``."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}")
    return value


def device_arg(auto: bool = False) -> Callable[[str], str]:
    """An argparse ``type``: a torch device name (``cpu``, ``cuda``, ``cuda:N``, ``mps``; with
    ``auto=True`` also ``auto``), checked before any work (availability is checked later)."""
    names = ("auto", "cpu", "cuda", "cuda:N") if auto else ("cpu", "cuda", "cuda:N", "mps")

    def parse(text: str) -> str:
        if text in names or ("cuda:N" in names and re.fullmatch(r"cuda:\d+", text)):
            return text
        raise argparse.ArgumentTypeError(f"expected one of {', '.join(names)}, got {text!r}")

    return parse


def add_tracker_options(parser: argparse.ArgumentParser, choices: Sequence[str]) -> None:
    """``--tracker`` and ``--param``, with their help."""
    parser.add_argument(
        "--tracker",
        default="sort",
        choices=list(choices),
        help="tracker to run (default: sort)",
    )
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a tracker setting, repeatable (e.g. --param max_age=3); an unknown key lists the "
        "valid ones (default: the tracker's paper defaults)",
    )
