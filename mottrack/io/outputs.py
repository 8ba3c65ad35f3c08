"""Output paths of long runs: checked before the work starts, and finished results that
survive a failed write.

:func:`check_output_file` and :func:`check_output_dir` refuse, in one line naming the option,
the path and why, an output that cannot be written: an empty path, a directory given for a
file (or a file for a directory), a path under a file, a folder that is not writable (probed by
creating and removing a temporary file, which also catches read-only file systems). A write can
still fail at the end (a full disk): :func:`save_with_fallback` then writes the same results to
a fresh file in the temporary folder and raises an ``OSError`` saying where they are.
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from .seqinfo import PathLike

__all__ = ["SavedElsewhere", "check_output_dir", "check_output_file", "save_with_fallback"]


class SavedElsewhere(OSError):
    """A write failed; the message says why and where the results went instead.

    Attributes
    ----------
    fallback : pathlib.Path or None
        The file (or folder) in the temporary folder that holds the results; None when that
        write failed too.
    """

    def __init__(self, message: str, fallback: Path | None) -> None:
        super().__init__(message)
        self.fallback = fallback


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


def _refuse(option: str, path: PathLike, why: str) -> ValueError:
    return ValueError(f"{option}: cannot write {os.fspath(path)!r}: {why}")


def _os_problem(exc: OSError) -> str:
    if exc.errno == errno.ENAMETOOLONG:
        return f"the file name is too long ({_why(exc)})"
    return _why(exc)


def _kind(option: str, path: Path) -> str:
    """``"dir"``, ``"file"``, ``"other"`` or ``"absent"``; a path the system cannot even look
    up (a name too long, a loop of links) is refused."""
    try:
        if path.is_dir():
            return "dir"
        if path.is_file():
            return "file"
        return "other" if path.exists() else "absent"
    except OSError as exc:
        raise _refuse(option, path, _os_problem(exc)) from None


def _check_folder_chain(option: str, path: Path, folder: Path) -> None:
    """``folder`` (to be created if absent) can hold ``path``: its nearest existing ancestor is
    a directory where a file named like the atomic writer's temporary one can be created (so a
    name too long is caught too)."""
    existing = folder
    while _kind(option, existing) == "absent" and existing != existing.parent:
        existing = existing.parent
    if _kind(option, existing) != "dir":
        raise _refuse(option, path, f"{existing} is a file, not a folder")
    try:
        fd, probe = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=existing)
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            raise _refuse(option, path, _os_problem(exc)) from None
        raise _refuse(
            option, path, f"the folder {existing} is not writable ({_why(exc)})"
        ) from None
    os.close(fd)
    os.unlink(probe)


def check_output_file(path: PathLike, option: str) -> Path:
    """Check that a results file can be written at ``path``, before any work.

    Parameters
    ----------
    path : str or os.PathLike
        The output file; missing parent folders will be created by the writer.
    option : str
        Name used in the message (``"--out"``).

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ValueError
        Naming ``option``, ``path`` and why: an empty path, an existing directory or other
        non-regular file (a device), a parent that is a file, a folder that is not writable.
    """
    text = os.fspath(path)
    if not text.strip():
        raise _refuse(option, text, "expected a file path, got an empty one")
    out = Path(text)
    kind = _kind(option, out)
    if kind == "dir":
        raise _refuse(option, out, "it is a directory (expected a file path)")
    if kind == "other":
        raise _refuse(option, out, "it exists and is not a regular file")
    _check_folder_chain(option, out, out.parent)
    return out


def check_output_dir(path: PathLike, option: str) -> Path:
    """Check that ``path`` is, or can be created as, a writable folder, before any work.

    Parameters
    ----------
    path : str or os.PathLike
        The output folder.
    option : str
        Name used in the message (``"--out"``).

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ValueError
        Naming ``option``, ``path`` and why: an empty path, an existing file, a parent that is
        a file, a folder that is not writable.
    """
    text = os.fspath(path)
    if not text.strip():
        raise _refuse(option, text, "expected a folder path, got an empty one")
    out = Path(text)
    if _kind(option, out) not in ("dir", "absent"):
        raise _refuse(option, out, "it is a file (expected a folder)")
    _check_folder_chain(option, out, out)
    return out


def save_with_fallback(
    path: PathLike, write: Callable[[Path], object], what: str, folder: bool = False
) -> Path:
    """Call ``write(path)``; if it fails with an ``OSError``, write to a temporary place instead.

    Parameters
    ----------
    path : str or os.PathLike
        Where the results belong (a file, or a folder with ``folder=True``).
    write : callable
        ``write(target)`` writes the results to ``target`` (atomically, so a failed write leaves
        nothing half-written).
    what : str
        What is written, for the message (``"--out"``, ``"checkpoint"``).
    folder : bool, default False
        ``path`` is a folder: the fallback is a new folder in the temporary folder.

    Returns
    -------
    pathlib.Path
        ``path``, when the write succeeded.

    Raises
    ------
    SavedElsewhere
        An ``OSError``, when ``write(path)`` failed: naming ``path``, why, and the fallback in
        the temporary folder that now holds the results (or why that failed too).
    """
    path = Path(path)
    try:
        write(path)
        return path
    except OSError as exc:
        first = _why(exc)
    prefix = f"mottrack-{path.stem[:40] or 'out'}-"
    fallback: Path | None = None
    try:
        if folder:
            fallback = Path(tempfile.mkdtemp(prefix=prefix))
        else:
            fd, name = tempfile.mkstemp(prefix=prefix, suffix=path.suffix)
            os.close(fd)
            fallback = Path(name)
        write(fallback)
    except OSError as exc:
        if fallback is not None and fallback.is_file() and not fallback.stat().st_size:
            fallback.unlink()
        raise SavedElsewhere(
            f"{what}: could not write {path} ({first}), nor a fallback copy in "
            f"{tempfile.gettempdir()} ({_why(exc)}): the results are lost",
            None,
        ) from None
    raise SavedElsewhere(
        f"{what}: could not write {path} ({first}); the results were saved to {fallback} instead",
        fallback,
    )
