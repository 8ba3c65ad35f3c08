"""Optional packages and the ``mottrack`` extra that installs each: the one-line message a
missing one gets, wherever it is needed (the library's lazy imports, the command line)."""

from __future__ import annotations

__all__ = ["EXTRAS", "missing_package_message"]

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
        for a known optional package, else the import error itself.
    """
    root = (exc.name or "").split(".")[0]
    extra = EXTRAS.get(root)
    if extra is None:
        return str(exc)
    if f"'{extra}' extra" in str(exc):  # the message already says it
        return str(exc)
    hint = f"pip install 'mottrack[{extra}]'"
    if extra == "torch":
        hint += " (CPU only: pip install torch --index-url https://download.pytorch.org/whl/cpu)"
    return f"needs the '{extra}' extra ({exc}): {hint}"
