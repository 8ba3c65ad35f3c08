"""Tracker registry: ``create_tracker(name, **overrides)`` builds any registered tracker."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, TypeVar

from .tracker import Tracker

__all__ = ["create_tracker", "get_tracker_class", "list_trackers", "register_tracker"]

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
