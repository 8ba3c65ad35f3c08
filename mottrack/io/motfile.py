"""MOTChallenge text files: parsing det/gt/results rows (errors name file and line) and
writing results and sequence folders atomically.

Text files have one box per line, ``frame, id, x, y, w, h, score/conf, ...``, comma separated
(whitespace separation and CRLF line endings are accepted too); frames are 1-based and
``(x, y)`` is the top-left corner in pixels.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..types import Tracks
from .seqinfo import PathLike, SeqInfo, atomic_write_text, read_text_file, write_seqinfo

__all__ = [
    "ResultsWriter",
    "first_invalid_row",
    "load_mot_txt",
    "results_text",
    "write_results",
    "write_sequence",
]

F64 = NDArray[np.float64]

RESULTS_FORMAT = "%d,%d,%.2f,%.2f,%.2f,%.2f,%.2f,-1,-1,-1"

# ----------------------------------------------------------------------------- reading rows


def first_invalid_row(rows: F64) -> tuple[int, str] | None:
    """Return ``(row index, reason)`` of the first row that breaks the MOT row rules, or None.

    The reason names the 1-based column (``"column 3: expected a finite number, got nan"``).
    """
    if rows.shape[0] == 0:
        return None
    finite = np.isfinite(rows).all(axis=1)
    frame = rows[:, 0]
    with np.errstate(invalid="ignore"):
        bad_frame = ~((frame >= 1) & (frame == np.floor(frame)))
        bad_wh = (
            (rows[:, 4] < 0) | (rows[:, 5] < 0) if rows.shape[1] >= 6 else np.zeros_like(bad_frame)
        )
    bad = ~finite | bad_frame | bad_wh
    if not bad.any():
        return None
    i = int(np.argmax(bad))
    if not finite[i]:
        j = int(np.argmin(np.isfinite(rows[i])))
        return i, f"column {j + 1}: expected finite numbers, got {rows[i, j]:g}"
    if bad_frame[i]:
        return i, f"column 1: expected an integer frame number >= 1, got {frame[i]:g}"
    return i, (
        f"columns 5-6: expected width and height >= 0, got w={rows[i, 4]:g}, h={rows[i, 5]:g}"
    )


def _split_fields(line: str) -> list[str]:
    if "," in line:
        fields = [f.strip() for f in line.split(",")]
        if len(fields) > 1 and fields[-1] == "":
            fields.pop()  # a trailing comma
        return fields
    return line.split()


def _field_problem(fields: list[str], first_line: bool) -> str:
    """Why a line's fields are not all numbers: the column, and a hint for common layouts."""
    k = next(i for i, f in enumerate(fields) if not _is_float(f))
    bad = fields[k]
    if ";" in bad:
        return f"column {k + 1}: expected fields separated by commas or whitespace, got ';'"
    problem = f"column {k + 1}: expected a number, got {bad[:40]!r}"
    if first_line and any(c.isalpha() for c in bad):
        problem += " (a header row? MOTChallenge text files have none)"
    return problem


def _scan(text: str, source: Path, min_cols: int) -> F64:
    """Parse line by line; raise ``ValueError`` naming the first offending line."""
    values: list[list[float]] = []
    linenos: list[int] = []
    ncols = 0

    def check_so_far() -> None:
        if not values:
            return
        found = first_invalid_row(np.array(values, dtype=np.float64))
        if found is not None:
            i, reason = found
            line = text.split("\n")[linenos[i] - 1].strip()
            raise ValueError(f"{source}, line {linenos[i]}: {reason}: {line[:120]!r}")

    for lineno, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if not line:
            continue
        fields = _split_fields(line)
        problem = ""
        if not all(_is_float(f) for f in fields):
            problem = _field_problem(fields, first_line=not values)
        elif len(fields) < min_cols:
            problem = f"expected at least {min_cols} columns, got {len(fields)}"
        elif ncols and len(fields) != ncols:
            problem = f"expected {ncols} columns (as on line {linenos[0]}), got {len(fields)}"
        if problem:
            check_so_far()
            raise ValueError(f"{source}, line {lineno}: {problem}: {line[:120]!r}")
        ncols = ncols or len(fields)
        values.append([float(f) for f in fields])
        linenos.append(lineno)
    check_so_far()
    if not values:
        return np.zeros((0, min_cols))
    return np.array(values, dtype=np.float64)


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def load_mot_txt(path: PathLike, min_cols: int = 6) -> F64:
    """Read a MOTChallenge text file (det, gt or results) into a float array.

    Parameters
    ----------
    path : str or os.PathLike
        The file: UTF-8 text (a leading byte order mark is dropped), comma or whitespace
        separated, LF or CRLF line endings; blank lines skipped.
    min_cols : int, default 6
        Minimum number of columns every line must have.

    Returns
    -------
    ndarray, shape (K, C)
        float64 rows in file order (``C >= min_cols``; ``(0, min_cols)`` for an empty file).

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        Naming the file, the 1-based line number and the line, for a non-numeric field (with
        its column; a header row and ``;`` separators are named as such), too few (or a
        changing number of) columns, NaN/inf, a frame number that is not an integer >= 1, or a
        negative width/height (columns 5 and 6); naming the file (and the line and column) for
        text that is not UTF-8: UTF-16, a binary file.
    """
    if isinstance(min_cols, bool) or not isinstance(min_cols, (int, np.integer)) or min_cols < 1:
        raise ValueError(f"load_mot_txt: min_cols must be an integer >= 1, got {min_cols!r}")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"load_mot_txt: file not found: {path}")
    text = read_text_file(path)  # universal newlines: CRLF -> LF
    stripped = text.strip()
    if not stripped:
        return np.zeros((0, int(min_cols)))
    delimiter = "," if "," in stripped.split("\n", 1)[0] else None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rows = np.loadtxt(
                io.StringIO(text), delimiter=delimiter, ndmin=2, comments=None, dtype=np.float64
            )
    except ValueError:
        return _scan(text, path, int(min_cols))
    if rows.shape[1] < min_cols or first_invalid_row(rows) is not None:
        return _scan(text, path, int(min_cols))
    return rows


# ----------------------------------------------------------------------------- writing


def _as_rows(rows: ArrayLike, min_cols: int, name: str) -> F64:
    try:
        arr = np.asarray(rows, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{name}: expected a numeric array of shape (K, >={min_cols}): {exc}"
        ) from None
    if arr.size == 0:
        return np.zeros((0, max(min_cols, arr.shape[-1] if arr.ndim == 2 else 0)))
    if arr.ndim != 2 or arr.shape[1] < min_cols:
        raise ValueError(f"{name}: expected an array of shape (K, >={min_cols}), got {arr.shape}")
    found = first_invalid_row(arr)
    if found is not None:
        raise ValueError(f"{name}: row {found[0]}: {found[1]}: {arr[found[0]].tolist()}")
    return arr


def write_results(path: PathLike, rows: ArrayLike) -> None:
    """Write tracker results in MOTChallenge format, atomically.

    Parameters
    ----------
    path : str or os.PathLike
        Output file; parent folders are created. An existing file is replaced only once the new
        one is completely written (temp file in the same folder + ``os.replace``).
    rows : array_like, shape (M, C), C >= 7
        ``frame, id, x, y, w, h, conf, ...`` rows (e.g. from :meth:`Tracks.to_mot`). Written as
        ``frame,id,x,y,w,h,conf,-1,-1,-1`` with 2 decimals, sorted by (frame, id).
    """
    atomic_write_text(Path(path), results_text(rows, "write_results: rows"))


def results_text(rows: ArrayLike, name: str = "rows") -> str:
    """The text :func:`write_results` writes for ``rows`` (same checks, same bytes).

    Parameters
    ----------
    rows : array_like, shape (M, C), C >= 7
        ``frame, id, x, y, w, h, conf, ...`` rows.
    name : str
        Name used in error messages.

    Returns
    -------
    str
        ``frame,id,x,y,w,h,conf,-1,-1,-1`` lines with 2 decimals, sorted by (frame, id).
    """
    arr = _as_rows(rows, 7, name)
    ids = arr[:, 1]
    if not np.array_equal(ids, np.round(ids)):
        i = int(np.argmax(ids != np.round(ids)))
        raise ValueError(f"{name}: expected integer ids in column 2, got {ids[i]:g}")
    arr = arr[np.lexsort((ids, arr[:, 0]))]
    lines = [RESULTS_FORMAT % tuple(r) for r in arr[:, :7].tolist()]
    return "".join(line + "\n" for line in lines)


def _format_rows(arr: F64) -> str:
    fmt = ",".join(["%d", "%d", "%.2f", "%.2f", "%.2f", "%.2f"] + ["%.10g"] * (arr.shape[1] - 6))
    return "".join(fmt % tuple(r) + "\n" for r in arr.tolist())


def write_sequence(
    root: PathLike,
    info: SeqInfo,
    gt_rows: ArrayLike | None = None,
    det_rows: ArrayLike | None = None,
) -> Path:
    """Write a sequence folder: ``seqinfo.ini``, ``gt/gt.txt`` and ``det/det.txt`` (atomically).

    Rows are written in the given order: frame and id as integers, x/y/w/h with 2 decimals and
    any further columns with up to 10 significant digits.

    Parameters
    ----------
    root : str or os.PathLike
        The sequence folder (created).
    info : SeqInfo
    gt_rows : array_like, shape (G, C >= 6), optional
    det_rows : array_like, shape (N, C >= 7), optional

    Returns
    -------
    pathlib.Path
        ``root``.
    """
    root = Path(root)
    if not isinstance(info, SeqInfo):
        raise ValueError(f"write_sequence: info must be a SeqInfo, got {type(info).__name__}")
    texts = {}
    for rel, rows, cols in (("gt/gt.txt", gt_rows, 6), ("det/det.txt", det_rows, 7)):
        if rows is not None:
            texts[rel] = _format_rows(_as_rows(rows, cols, f"write_sequence: {rel} rows"))
    write_seqinfo(root / "seqinfo.ini", info)
    for rel, text in texts.items():
        atomic_write_text(root / rel, text)
    return root


class ResultsWriter:
    """Accumulate per-frame :class:`Tracks` and write them as one MOTChallenge results file.

    Examples
    --------
    >>> writer = ResultsWriter()
    >>> for frame, dets in seq.frames():  # doctest: +SKIP
    ...     writer.add(frame, tracker.update(dets))
    >>> writer.write("results/MOT17-05-FRCNN.txt")  # doctest: +SKIP
    """

    def __init__(self) -> None:
        self._chunks: list[F64] = []

    def __len__(self) -> int:
        return sum(c.shape[0] for c in self._chunks)

    def add(self, frame: int, tracks: Tracks) -> None:
        """Append the rows of ``tracks`` at ``frame`` (an integer >= 1)."""
        if isinstance(frame, bool) or not isinstance(frame, (int, np.integer)) or frame < 1:
            raise ValueError(f"ResultsWriter.add: frame must be an integer >= 1, got {frame!r}")
        if not isinstance(tracks, Tracks):
            raise ValueError(
                f"ResultsWriter.add: tracks must be Tracks, got {type(tracks).__name__}"
            )
        self._chunks.append(tracks.to_mot(int(frame)))

    @property
    def rows(self) -> F64:
        """All rows added so far, shape (M, 10), in insertion order."""
        return np.concatenate(self._chunks) if self._chunks else np.zeros((0, 10))

    def write(self, path: PathLike) -> None:
        """Write the rows with :func:`write_results`."""
        write_results(path, self.rows)
