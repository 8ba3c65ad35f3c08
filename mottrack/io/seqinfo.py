"""``seqinfo.ini``: a MOTChallenge sequence's name, length, frame rate and image size."""

from __future__ import annotations

import codecs
import configparser
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .atomic import atomic_write

__all__ = [
    "PathLike",
    "SeqInfo",
    "atomic_write_text",
    "read_seqinfo",
    "read_text_file",
    "write_seqinfo",
]

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
    """Read a ``seqinfo.ini`` file (UTF-8, a leading byte order mark accepted).

    Raises ``FileNotFoundError`` if it is absent and ``ValueError`` naming the file and the key
    when the ``[Sequence]`` section or a required key is missing or malformed, or naming the file
    and the line when it is not UTF-8 text (see :func:`read_text_file`).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"read_seqinfo: file not found: {path}")
    parser = configparser.ConfigParser()
    try:
        parser.read_string(read_text_file(path), source=str(path))
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
    """Write ``text`` (UTF-8, ``\\n`` line ends) to ``path`` atomically (:func:`.atomic_write`),
    keeping the mode of the file it replaces (0644 for a new one)."""

    def fill(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o644)

    atomic_write(path, fill)


_WIDE_BOMS = (  # checked in this order: the UTF-32 LE mark starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


def _line_and_column(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column (in bytes) of ``data[offset]``."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    return data.count(b"\n", 0, offset) + 1, offset - line_start + 1


def read_text_file(path: Path) -> str:
    """The text of a UTF-8 (or ASCII) file, a leading UTF-8 byte order mark dropped.

    Parameters
    ----------
    path : pathlib.Path
        An existing file.

    Returns
    -------
    str
        The text with universal newlines (CRLF and CR read as LF).

    Raises
    ------
    ValueError
        Naming the file, for UTF-16/UTF-32 text (byte order mark), and naming the file, the line
        and the column, for a NUL byte (UTF-16 without a mark, or a binary file) or bytes that are
        not UTF-8.
    """
    data = path.read_bytes()
    for bom, encoding in _WIDE_BOMS:
        if data.startswith(bom):
            raise ValueError(
                f"{path}: expected UTF-8 text, got {encoding} (byte order mark "
                f"{bom.hex(' ').upper()}); save the file as UTF-8"
            )
    nul = data.find(b"\0")
    try:
        if nul >= 0:
            raise UnicodeDecodeError("utf-8", data, nul, nul + 1, "NUL byte")
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, column = _line_and_column(data, exc.start)
        raise ValueError(
            f"{path}, line {line}, column {column}: expected UTF-8 text, got the byte "
            f"0x{data[exc.start]:02x} (a binary file, or text in another encoding such as "
            "UTF-16: save it as UTF-8)"
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")
