"""Tracker registry: ``create_tracker(name, **overrides)`` builds any registered tracker."""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from .tracker import Tracker

__all__ = [
    "create_tracker",
    "get_tracker_class",
    "list_trackers",
    "parse_params",
    "register_tracker",
]

T = TypeVar("T", bound=type[Tracker])

_REGISTRY: dict[str, type[Tracker]] = {}
#: Built-in trackers, imported on first use so that importing mottrack stays light.
_BUILTIN: dict[str, str] = {
    "sort": "mottrack.sort",
    "deepsort": "mottrack.deepsort",
    "fairmot": "mottrack.fairmot",
}


def register_tracker(name: str) -> Callable[[T], T]:
    """Class decorator registering a :class:`Tracker` subclass under ``name``."""

    def deco(cls: T) -> T:
        if not (isinstance(cls, type) and issubclass(cls, Tracker)):
            raise TypeError(f"register_tracker({name!r}): expected a Tracker subclass, got {cls!r}")
        existing = _REGISTRY.get(name)
        if existing is not None and existing is not cls:
            raise ValueError(f"register_tracker: name {name!r} is already used by {existing!r}")
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return deco


def list_trackers() -> list[str]:
    """Names of all available trackers, sorted."""
    return sorted(set(_REGISTRY) | set(_BUILTIN))


def get_tracker_class(name: str) -> type[Tracker]:
    """Return the tracker class registered as ``name``."""
    if name not in _REGISTRY and name in _BUILTIN:
        importlib.import_module(_BUILTIN[name])
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(f"name: unknown tracker {name!r}; available: {list_trackers()}") from None


def create_tracker(name: str, **overrides: Any) -> Tracker:
    """Build a tracker with its default configuration updated by ``overrides``.

    Parameters
    ----------
    name : str
        A name from :func:`list_trackers` (e.g. ``"sort"``).
    **overrides
        Configuration fields; unknown names raise ``TypeError`` listing the valid ones.

    Returns
    -------
    Tracker
    """
    return get_tracker_class(name)(**overrides)


def parse_params(tracker: str, items: Sequence[str], option: str = "--param") -> dict[str, Any]:
    """Turn ``["key=value", ...]`` into config overrides typed like the config's defaults.

    Parameters
    ----------
    tracker : str
        A name from :func:`list_trackers`, whose configuration gives the keys and types.
    items : sequence of str
        ``key=value`` texts.
    option : str, default "--param"
        The option the items came from, named in the messages (``"--grid"``, ``"--range"``).

    Returns
    -------
    dict of str to Any
        Key -> value (``bool``, ``int``, ``float`` or ``str``, as the default).

    Raises
    ------
    ValueError
        For a malformed item, an unknown key (listing the valid ones) or an unparsable value.
    """
    config_class = get_tracker_class(tracker).config_class
    fields = {f.name: f for f in dataclasses.fields(config_class)}
    out: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key:
            raise ValueError(f"{option}: expected key=value, got {item!r}")
        if key not in fields:
            raise ValueError(
                f"{option}: unknown key {key!r} for {tracker}; valid: {sorted(fields)}"
            )
        default = fields[key].default
        try:
            if isinstance(default, bool):
                if text.lower() not in ("true", "false", "1", "0"):
                    raise ValueError(text)
                value: Any = text.lower() in ("true", "1")
            elif isinstance(default, int):
                value = int(text)
            elif isinstance(default, float):
                value = float(text)
            else:
                value = text
        except ValueError:
            kind = type(default).__name__
            raise ValueError(f"{option} {key}: expected a {kind}, got {text!r}") from None
        out[key] = value
    return out
