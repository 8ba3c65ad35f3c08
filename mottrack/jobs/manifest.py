"""The manifest of a results folder: which sequences finished, with what, from which inputs.

``<out>/manifest.json`` holds one entry per finished sequence: its fingerprint (mottrack's
version, the tracker name, parameters and feeding options, and the size and modification time
of every input file) and the size of its results file. It is rewritten atomically after every
finished sequence (:func:`~mottrack.io.seqinfo.atomic_write_text`), and results files are
written atomically before their entry, so a run killed at any point (SIGKILL included) leaves
only finished results and entries that describe them. A sequence is skipped on a rerun only
when its entry's fingerprint equals the current one and its results file still has the
recorded size; changed parameters or inputs redo exactly the affected sequences.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .. import __version__
from ..io.seqinfo import atomic_write_text
from .discover import SequenceJob
from .runner import RunSpec

__all__ = ["MANIFEST_NAME", "Manifest", "fingerprint", "input_files"]

MANIFEST_NAME = "manifest.json"
_FORMAT = 1


def input_files(job: SequenceJob, spec: RunSpec) -> list[Path]:
    """The files a sequence's results depend on (those that exist).

    A MOT folder: ``det/det.txt`` (or the features file), ``seqinfo.ini`` and, when images are
    read, the image folder (its entry count and modification time stand for its images). A
    video: the video and its ``<stem>.det.txt``.
    """
    path = Path(job.path)
    if job.kind == "video":
        files = [path, job.det_path]
    else:
        det = (
            job.det_path
            if spec.features is None
            else path / spec.features.replace("{name}", job.name)
        )
        files = [det, path / "seqinfo.ini"]
        if spec.reads_images():
            files.append(path / "img1")
    return [f for f in files if f.exists()]


def fingerprint(job: SequenceJob, spec: RunSpec) -> dict[str, Any]:
    """What a finished entry must match: version, settings and ``[size, mtime_ns]`` per input.

    Returns
    -------
    dict
        JSON-ready (compared after a JSON round trip).
    """
    inputs: dict[str, list[int]] = {}
    for f in input_files(job, spec):
        stat = f.stat()
        size = len(list(f.iterdir())) if f.is_dir() else stat.st_size
        inputs[str(f)] = [size, stat.st_mtime_ns]
    stamp = {"mottrack": __version__, **spec.key(), "inputs": inputs}
    return json.loads(json.dumps(stamp, sort_keys=True))


class Manifest:
    """``<folder>/manifest.json``, loaded once and rewritten atomically on every change.

    Parameters
    ----------
    folder : str or os.PathLike
        The results folder.

    Raises
    ------
    ValueError
        If an existing manifest is not one (naming the file; delete it to start over).
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.path = self.folder / MANIFEST_NAME
        self.entries: dict[str, dict[str, Any]] = {}
        if self.path.is_file():
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
                if data.get("format") != _FORMAT or not isinstance(data.get("entries"), dict):
                    raise ValueError("unknown layout")
            except (ValueError, AttributeError) as exc:
                raise ValueError(
                    f"{self.path}: expected a mottrack manifest ({exc}); delete it to start over"
                ) from None
            self.entries = data["entries"]

    def results_path(self, name: str) -> Path:
        """``<folder>/<name>.txt``."""
        return self.folder / f"{name}.txt"

    def is_done(self, name: str, stamp: dict[str, Any]) -> bool:
        """Whether ``name`` finished with this fingerprint and its results file is intact."""
        entry = self.entries.get(name)
        if entry is None or entry.get("fingerprint") != stamp:
            return False
        out = self.results_path(name)
        return out.is_file() and out.stat().st_size == entry.get("bytes")

    def record(self, name: str, stamp: dict[str, Any], text: str, info: dict[str, Any]) -> None:
        """Write ``<name>.txt`` atomically, then its entry (``info``: frames, seconds)."""
        out = self.results_path(name)
        atomic_write_text(out, text)
        self.entries[name] = {"fingerprint": stamp, "bytes": out.stat().st_size, **info}
        self._save()

    def forget(self, name: str) -> None:
        """Drop ``name``'s entry (a sequence that failed or is to be redone)."""
        if self.entries.pop(name, None) is not None:
            self._save()

    def _save(self) -> None:
        text = json.dumps({"format": _FORMAT, "entries": self.entries}, indent=1, sort_keys=True)
        atomic_write_text(self.path, text + "\n")
