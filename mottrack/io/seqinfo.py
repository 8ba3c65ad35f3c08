"""``seqinfo.ini``: a MOTChallenge sequence's name, length, frame rate and image size."""

from __future__ import annotations

import configparser
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["PathLike", "SeqInfo", "atomic_write_text", "read_seqinfo", "write_seqinfo"]

PathLike = str | os.PathLike[str]


@dataclass(frozen=True)
class SeqInfo:
    """The ``[Sequence]`` section of a MOTChallenge ``seqinfo.ini``.

    ``frame_rate``, ``im_width`` and ``im_height`` are 0 when unknown (a folder without
    ``seqinfo.ini``).
    """

    name: str
    seq_length: int
    frame_rate: float
    im_width: int
    im_height: int
    im_dir: str = "img1"
    im_ext: str = ".jpg"

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"SeqInfo.name: expected a non-empty string, got {self.name!r}")
        for field in ("seq_length", "im_width", "im_height"):
            value = getattr(self, field)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
                raise ValueError(f"SeqInfo.{field}: expected an integer >= 0, got {value!r}")
            object.__setattr__(self, field, int(value))
        rate = self.frame_rate
        if isinstance(rate, bool) or not isinstance(rate, (int, float, np.number)) or not rate >= 0:
            raise ValueError(f"SeqInfo.frame_rate: expected a number >= 0, got {rate!r}")
        object.__setattr__(self, "frame_rate", float(rate))


_SEQINFO_KEYS = {  # SeqInfo field -> (ini key, converter, required)
    "name": ("name", str, True),
    "seq_length": ("seqLength", int, True),
    "frame_rate": ("frameRate", float, True),
    "im_width": ("imWidth", int, True),
    "im_height": ("imHeight", int, True),
    "im_dir": ("imDir", str, False),
    "im_ext": ("imExt", str, False),
}


def read_seqinfo(path: PathLike) -> SeqInfo:
    """Read a ``seqinfo.ini`` file.

    Raises ``FileNotFoundError`` if it is absent and ``ValueError`` naming the file and the key
    when the ``[Sequence]`` section or a required key is missing or malformed.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"read_seqinfo: file not found: {path}")
    parser = configparser.ConfigParser()
    try:
        parser.read_string(path.read_text(encoding="utf-8", errors="replace"), source=str(path))
    except configparser.Error as exc:
        raise ValueError(f"{path}: expected an ini file with a [Sequence] section: {exc}") from None
    if not parser.has_section("Sequence"):
        raise ValueError(f"{path}: expected a [Sequence] section, got {parser.sections()}")
    section = parser["Sequence"]
    values: dict[str, object] = {}
    for field, (key, kind, required) in _SEQINFO_KEYS.items():
        if key not in section:  # configparser keys are case-insensitive
            if required:
                raise ValueError(f"{path}: [Sequence] is missing the key {key!r}")
            continue
        text = section[key].strip()
        try:
            values[field] = kind(text)
        except ValueError:
            raise ValueError(
                f"{path}: [Sequence] {key} must be {kind.__name__}, got {text!r}"
            ) from None
    try:
        return SeqInfo(**values)  # type: ignore[arg-type]
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None


def write_seqinfo(path: PathLike, info: SeqInfo) -> None:
    """Write ``info`` as a ``seqinfo.ini`` (atomically)."""
    rate = f"{info.frame_rate:g}"
    text = (
        f"[Sequence]\nname={info.name}\nimDir={info.im_dir}\nframeRate={rate}\n"
        f"seqLength={info.seq_length}\nimWidth={info.im_width}\nimHeight={info.im_height}\n"
        f"imExt={info.im_ext}\n"
    )
    atomic_write_text(Path(path), text)


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to a temp file beside ``path`` then ``os.replace`` it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
