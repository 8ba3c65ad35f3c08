"""Optional packages and the ``mottrack`` extra that installs each: the one-line message a
missing one gets, wherever it is needed (the library's lazy imports, the command line)."""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["EXTRAS", "MissingExtraError", "import_extra", "missing_package_message"]

#: Optional packages and the ``mottrack`` extra that installs each.
EXTRAS = {
    "torch": "torch",
    "torchvision": "torch",
    "trackeval": "eval",
    "supervision": "viz",
    "matplotlib": "viz",
    "ray": "ray",
    "optuna": "tune",
}


class MissingExtraError(ModuleNotFoundError, ValueError):
    """An optional package is missing; the message (one line) names the extra that brings it.

    A ``ModuleNotFoundError`` (its ``name`` is the missing module) and a ``ValueError``, so the
    command line prints it as one line either way.
    """


def _extra_message(exc: ImportError, extra: str, what: str = "") -> str:
    """``"{what} needs the '{extra}' extra ({exc}): pip install 'mottrack[{extra}]'"``."""
    hint = f"pip install 'mottrack[{extra}]'"
    if extra == "torch":
        hint += " (CPU only: pip install torch --index-url https://download.pytorch.org/whl/cpu)"
    subject = f"{what} needs" if what else "needs"
    return f"{subject} the '{extra}' extra ({exc}): {hint}"


def missing_package_message(exc: ModuleNotFoundError) -> str:
    """One line for a missing package: which extra to install (or the package itself).

    Parameters
    ----------
    exc : ModuleNotFoundError
        The import failure.

    Returns
    -------
    str
        ``"needs the 'viz' extra (No module named 'supervision'): pip install 'mottrack[viz]'"``
        for a known optional package, else the import error itself (also when it is a
        :class:`MissingExtraError`, whose message names its extra already).
    """
    if isinstance(exc, MissingExtraError):
        return str(exc)
    root = (exc.name or "").split(".")[0]
    extra = EXTRAS.get(root)
    if extra is None:
        return str(exc)
    if f"'{extra}' extra" in str(exc):  # the message already says it
        return str(exc)
    return _extra_message(exc, extra)


def import_extra(module: str, what: str, extra: str | None = None) -> ModuleType:
    """Import an optional ``module``, or say in one line which extra installs it.

    Parameters
    ----------
    module : str
        The module to import (``"supervision"``, ``"matplotlib"``).
    what : str
        What needs it, the subject of the message (``"drawing tracks"``, ``"--engine ray"``).
    extra : str, optional
        The ``mottrack`` extra that brings it (default: the one :data:`EXTRAS` lists for the
        module's top-level package).

    Returns
    -------
    module
        The imported module.

    Raises
    ------
    MissingExtraError
        If it cannot be imported: ``"{what} needs the '{extra}' extra (No module named ...):
        pip install 'mottrack[{extra}]'"``. A module without a known extra re-raises the
        import error as it is.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:  # not installed, or installed but broken
        name = extra or EXTRAS.get(module.split(".")[0])
        if name is None:
            raise
        raise MissingExtraError(_extra_message(exc, name, what), name=exc.name or module) from None
