"""MOTChallenge files: ``seqinfo.ini``, det/gt text files, results files and sequence folders.

A sequence folder holds ``seqinfo.ini``, ``det/det.txt``, ``gt/gt.txt`` and ``img1/``. Text files
have one box per line, ``frame, id, x, y, w, h, score/conf, ...``, comma separated (whitespace
separation and CRLF line endings are accepted too); frames are 1-based and ``(x, y)`` is the
top-left corner in pixels.

Out-of-order det files: the rows of one frame keep their file order (a stable grouping), which
is what the reference SORT loop's ``rows[rows[:, 0] == frame]`` gives.
"""

from __future__ import annotations

import configparser
import io
import os
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..boxes import convert
from ..types import Detections, Tracks

__all__ = [
    "MOTSequence",
    "ResultsWriter",
    "SeqInfo",
    "group_by_frame",
    "iter_detections",
    "load_mot_txt",
    "read_seqinfo",
    "write_results",
    "write_seqinfo",
    "write_sequence",
]

PathLike = str | os.PathLike[str]
F64 = NDArray[np.float64]

RESULTS_FORMAT = "%d,%d,%.2f,%.2f,%.2f,%.2f,%.2f,-1,-1,-1"


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
    _atomic_write_text(Path(path), text)


# ----------------------------------------------------------------------------- reading rows


def _first_invalid(rows: F64) -> tuple[int, str] | None:
    """Return ``(row index, reason)`` of the first row that breaks the MOT row rules, or None."""
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
        return i, "expected finite numbers, got NaN or infinity"
    if bad_frame[i]:
        return i, f"expected an integer frame number >= 1, got {frame[i]:g}"
    return i, f"expected width and height >= 0, got w={rows[i, 4]:g}, h={rows[i, 5]:g}"


def _split_fields(line: str) -> list[str]:
    if "," in line:
        fields = [f.strip() for f in line.split(",")]
        if len(fields) > 1 and fields[-1] == "":
            fields.pop()  # a trailing comma
        return fields
    return line.split()


def _scan(text: str, source: Path, min_cols: int) -> F64:
    """Parse line by line; raise ``ValueError`` naming the first offending line."""
    values: list[list[float]] = []
    linenos: list[int] = []
    ncols = 0

    def check_so_far() -> None:
        found = _first_invalid(np.array(values, dtype=np.float64).reshape(len(values), -1))
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
        try:
            row = [float(f) for f in fields]
        except ValueError:
            bad = next(f for f in fields if not _is_float(f))
            problem = f"expected numeric fields, got {bad!r}"
        if not problem and len(row) < min_cols:
            problem = f"expected at least {min_cols} columns, got {len(row)}"
        if not problem and ncols and len(row) != ncols:
            problem = f"expected {ncols} columns (as on line {linenos[0]}), got {len(row)}"
        if problem:
            check_so_far()
            raise ValueError(f"{source}, line {lineno}: {problem}: {line[:120]!r}")
        ncols = ncols or len(row)
        values.append(row)
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
        The file. Comma or whitespace separated, LF or CRLF line endings; blank lines skipped.
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
        Naming the file, the 1-based line number and the line, for a non-numeric field, too few
        (or a changing number of) columns, NaN/inf, a frame number that is not an integer >= 1,
        or a negative width/height (columns 5 and 6).
    """
    if isinstance(min_cols, bool) or not isinstance(min_cols, (int, np.integer)) or min_cols < 1:
        raise ValueError(f"load_mot_txt: min_cols must be an integer >= 1, got {min_cols!r}")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"load_mot_txt: file not found: {path}")
    text = path.read_text(encoding="utf-8", errors="replace")  # universal newlines: CRLF -> LF
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
    if rows.shape[1] < min_cols or _first_invalid(rows) is not None:
        return _scan(text, path, int(min_cols))
    return rows


# ----------------------------------------------------------------------------- grouping


def _frame_numbers(rows: F64, num_frames: int, source: str) -> NDArray[np.int64]:
    if rows.ndim != 2 or rows.shape[1] < 1:
        raise ValueError(f"{source}: expected rows of shape (K, C) with C >= 1, got {rows.shape}")
    frames = rows[:, 0]
    if frames.size:
        ok = np.isfinite(frames) & (frames == np.round(frames))
        ok &= (frames >= 1) & (frames <= num_frames)
        if not ok.all():
            i = int(np.argmin(ok))
            raise ValueError(
                f"{source}: expected integer frame numbers in 1..{num_frames}, "
                f"got {frames[i]:g} in row {i}"
            )
    return frames.astype(np.int64)


def _split_points(frames: NDArray[np.int64], num_frames: int) -> tuple[NDArray[np.intp], list[int]]:
    order = np.argsort(frames, kind="stable")
    counts = np.bincount(frames, minlength=num_frames + 1)[1:]
    return order, np.cumsum(counts)[:-1].tolist()


def group_by_frame(rows: ArrayLike, num_frames: int) -> list[F64]:
    """Split rows by their frame number (column 0), keeping file order within a frame.

    Parameters
    ----------
    rows : array_like, shape (K, C)
        MOT rows; column 0 is an integer frame number in ``1..num_frames``.
    num_frames : int
        Number of frames of the sequence.

    Returns
    -------
    list of ndarray, length num_frames
        Element ``f - 1`` holds the rows of frame ``f``, shape ``(K_f, C)`` (possibly empty), in
        their original relative order (a stable sort, computed once).
    """
    if isinstance(num_frames, bool) or not isinstance(num_frames, (int, np.integer)):
        raise ValueError(f"group_by_frame: num_frames must be an integer, got {num_frames!r}")
    if num_frames < 0:
        raise ValueError(f"group_by_frame: num_frames must be >= 0, got {num_frames}")
    arr = np.asarray(rows, dtype=np.float64)
    frames = _frame_numbers(arr, int(num_frames), "group_by_frame: rows")
    if num_frames == 0:
        return []
    order, points = _split_points(frames, int(num_frames))
    return np.split(arr[order], points)


def iter_detections(
    rows: ArrayLike,
    num_frames: int,
    embeddings: ArrayLike | None = None,
    min_score: float | None = None,
    source: str = "rows",
) -> Iterator[tuple[int, Detections]]:
    """Yield ``(frame, Detections)`` for every frame ``1..num_frames`` from MOT det rows.

    Parameters
    ----------
    rows : array_like, shape (K, C), C >= 7
        ``frame, id, x, y, w, h, score, ...`` rows.
    num_frames : int
        Sequence length; frames without rows yield empty ``Detections``.
    embeddings : array_like, shape (K, D), optional
        One feature row per det row, carried into ``Detections.embeddings``.
    min_score : float, optional
        Drop rows with ``score < min_score``.
    source : str
        Name used in error messages (a file name).
    """
    arr = np.asarray(rows, dtype=np.float64)
    if arr.size == 0:
        arr = np.zeros((0, 7))
    elif arr.ndim != 2 or arr.shape[1] < 7:
        raise ValueError(f"{source}: expected det rows of shape (K, >=7), got {arr.shape}")
    emb = None if embeddings is None else np.asarray(embeddings)
    if emb is not None and (emb.ndim != 2 or emb.shape[0] != arr.shape[0]):
        raise ValueError(
            f"{source}: expected embeddings of shape ({arr.shape[0]}, D), got {emb.shape}"
        )
    if min_score is not None:
        keep = arr[:, 6] >= float(min_score)
        arr = arr[keep]
        emb = None if emb is None else emb[keep]
    frames = _frame_numbers(arr, int(num_frames), source)
    order, points = _split_points(frames, int(num_frames))
    xyxy = np.split(convert(arr[order, 2:6], "xywh", "xyxy"), points)
    scores = np.split(arr[order, 6], points)
    feats = [None] * len(xyxy) if emb is None else np.split(emb[order], points)
    for i in range(int(num_frames)):
        yield i + 1, Detections(xyxy[i], scores[i], embeddings=feats[i])


# ----------------------------------------------------------------------------- sequences


class MOTSequence:
    """A MOTChallenge sequence folder: ``seqinfo.ini``, ``det/det.txt``, ``gt/gt.txt``, ``img1/``.

    Parameters
    ----------
    root : str or os.PathLike
        The sequence folder.
    det_file : str or os.PathLike, default "det/det.txt"
        Detections, relative to ``root`` or absolute.
    features : str or os.PathLike, optional
        A deep_sort-style ``.npy`` array of shape ``(N, 7 + D)`` (relative to ``root`` or
        absolute). When given, its columns 0-6 are the detection rows (``det_file`` is not read)
        and columns 7+ the embeddings carried by the yielded ``Detections``.
    min_score : float, optional
        :meth:`frames` drops detections with ``score < min_score``.

    Notes
    -----
    Without ``seqinfo.ini`` the info falls back to the folder name and ``seq_length`` = the
    largest frame in the detections (frame rate and image size 0 = unknown).
    """

    def __init__(
        self,
        root: PathLike,
        det_file: PathLike = "det/det.txt",
        features: PathLike | None = None,
        min_score: float | None = None,
    ) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise FileNotFoundError(f"MOTSequence: sequence folder not found: {self.root}")
        if min_score is not None and not (
            isinstance(min_score, (int, float, np.number)) and np.isfinite(min_score)
        ):
            raise ValueError(f"MOTSequence: min_score must be a finite number, got {min_score!r}")
        self.det_path = self.root / det_file
        self.features_path = None if features is None else self.root / features
        self.min_score = None if min_score is None else float(min_score)
        self._info: SeqInfo | None = None
        self._det: F64 | None = None
        self._emb: NDArray[np.floating] | None = None
        self._gt: F64 | None = None
        self._frames: list[Detections] | None = None

    def __repr__(self) -> str:
        return f"MOTSequence({str(self.root)!r})"

    def __len__(self) -> int:
        return self.info.seq_length

    @property
    def info(self) -> SeqInfo:
        """The sequence info (from ``seqinfo.ini``, or the fallback described above)."""
        if self._info is None:
            ini = self.root / "seqinfo.ini"
            if ini.is_file():
                self._info = read_seqinfo(ini)
            else:
                det = self.detections
                last = int(det[:, 0].max()) if det.shape[0] else 0
                self._info = SeqInfo(self.root.name, last, 0.0, 0, 0)
        return self._info

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def detections(self) -> F64:
        """Raw det rows, shape (N, C) with C >= 7, in file order (loaded once)."""
        if self._det is None:
            if self.features_path is not None:
                self._det, self._emb = _load_features(self.features_path)
            else:
                self._det = load_mot_txt(self.det_path, min_cols=7)
        return self._det

    @property
    def embeddings(self) -> NDArray[np.floating] | None:
        """Embeddings aligned with :attr:`detections`, shape (N, D), or None without features."""
        _ = self.detections
        return self._emb

    @property
    def gt(self) -> F64:
        """Raw ground-truth rows of ``gt/gt.txt``, shape (G, C) with C >= 6 (loaded once)."""
        if self._gt is None:
            self._gt = load_mot_txt(self.root / "gt" / "gt.txt", min_cols=6)
        return self._gt

    @property
    def has_images(self) -> bool:
        """Whether the image folder exists and holds at least one image."""
        folder = self.root / self.info.im_dir
        return folder.is_dir() and next(folder.glob(f"*{self.info.im_ext}"), None) is not None

    def image_path(self, frame: int) -> Path:
        """Path of the image of ``frame`` (1-based): ``<root>/<im_dir>/<frame:06d><im_ext>``."""
        n = self.info.seq_length
        if (
            isinstance(frame, bool)
            or not isinstance(frame, (int, np.integer))
            or not 1 <= frame <= n
        ):
            raise ValueError(f"image_path: frame must be an integer in 1..{n}, got {frame!r}")
        return self.root / self.info.im_dir / f"{int(frame):06d}{self.info.im_ext}"

    def frames(self) -> Iterator[tuple[int, Detections]]:
        """Yield ``(frame, Detections)`` for every frame ``1..seq_length``.

        Frames without detections yield empty ``Detections``; rows of one frame keep their file
        order. Boxes are ``xyxy`` (converted from the file's ``x, y, w, h``), scores column 7.
        The grouping is computed once and cached.
        """
        if self._frames is None:
            source = str(self.features_path or self.det_path)
            pairs = iter_detections(
                self.detections, self.info.seq_length, self.embeddings, self.min_score, source
            )
            self._frames = [dets for _, dets in pairs]
        for i, dets in enumerate(self._frames):
            yield i + 1, dets

    __iter__ = frames


def _load_features(path: Path) -> tuple[F64, NDArray[np.floating]]:
    if not path.is_file():
        raise FileNotFoundError(f"MOTSequence: features file not found: {path}")
    arr = np.load(path, allow_pickle=False)
    if arr.ndim != 2 or arr.shape[1] < 8 or arr.dtype.kind != "f":
        raise ValueError(
            f"{path}: expected a float array of shape (N, 7 + D) with D >= 1 "
            f"(det row + embedding), got {arr.dtype} {arr.shape}"
        )
    rows = arr[:, :7].astype(np.float64)
    found = _first_invalid(rows)
    if found is None and not np.isfinite(arr[:, 7:]).all():
        found = (int(np.argmin(np.isfinite(arr[:, 7:]).all(axis=1))), "non-finite embedding")
    if found is not None:
        raise ValueError(f"{path}, row {found[0]}: {found[1]}")
    return rows, arr[:, 7:]


# ----------------------------------------------------------------------------- writing


def _atomic_write_text(path: Path, text: str) -> None:
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
    found = _first_invalid(arr)
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
    arr = _as_rows(rows, 7, "write_results: rows")
    ids = arr[:, 1]
    if not np.array_equal(ids, np.round(ids)):
        i = int(np.argmax(ids != np.round(ids)))
        raise ValueError(f"write_results: rows: expected integer ids in column 2, got {ids[i]:g}")
    arr = arr[np.lexsort((ids, arr[:, 0]))]
    lines = [RESULTS_FORMAT % tuple(r) for r in arr[:, :7].tolist()]
    _atomic_write_text(Path(path), "".join(line + "\n" for line in lines))


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
        _atomic_write_text(root / rel, text)
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
