"""MOTChallenge files: ``seqinfo.ini``, det/gt text files, results files and sequence folders.

A sequence folder holds ``seqinfo.ini``, ``det/det.txt``, ``gt/gt.txt`` and ``img1/``. Text files
have one box per line, ``frame, id, x, y, w, h, score/conf, ...``, comma separated (whitespace
separation and CRLF line endings are accepted too); frames are 1-based and ``(x, y)`` is the
top-left corner in pixels.

Out-of-order det files: the rows of one frame keep their file order (a stable grouping), which
is what the reference SORT loop's ``rows[rows[:, 0] == frame]`` gives.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._checks import check_frame_number
from ..boxes import convert
from ..types import Detections
from .motfile import first_invalid_row, load_mot_txt
from .seqinfo import PathLike, SeqInfo, read_seqinfo

__all__ = ["MOTSequence", "group_by_frame", "iter_detections", "load_detections"]

F64 = NDArray[np.float64]

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
    classes: ArrayLike | None = None,
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
    classes : array_like of int, shape (K,), optional
        One class per det row, carried into ``Detections.classes``.
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
    cls = None if classes is None else np.asarray(classes)
    if cls is not None and cls.shape != (arr.shape[0],):
        raise ValueError(f"{source}: expected classes of shape ({arr.shape[0]},), got {cls.shape}")
    if min_score is not None:
        keep = arr[:, 6] >= float(min_score)
        arr = arr[keep]
        emb = None if emb is None else emb[keep]
        cls = None if cls is None else cls[keep]
    frames = _frame_numbers(arr, int(num_frames), source)
    order, points = _split_points(frames, int(num_frames))
    xyxy = np.split(convert(arr[order, 2:6], "xywh", "xyxy"), points)
    scores = np.split(arr[order, 6], points)
    feats = [None] * len(xyxy) if emb is None else np.split(emb[order], points)
    labels = [None] * len(xyxy) if cls is None else np.split(cls[order], points)
    for i in range(int(num_frames)):
        yield i + 1, Detections(xyxy[i], scores[i], labels[i], embeddings=feats[i])


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
        """Raw det rows, shape (N, C) with C >= 7, in file order (loaded once, by
        :func:`load_detections`: a 9-column file, the MOT16/17/20 gt layout, is refused)."""
        if self._det is None:
            self._det, self._emb = load_detections(self.det_path, self.features_path)
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
        check_frame_number("image_path", frame, self.info.seq_length)
        return self.root / self.info.im_dir / f"{int(frame):06d}{self.info.im_ext}"

    def read_image(self, frame: int) -> NDArray[np.uint8]:
        """The BGR image of ``frame`` (1-based), shape (H, W, 3) uint8.

        Raises
        ------
        FileNotFoundError
            If the image file is missing.
        ValueError
            If OpenCV cannot decode it, or its size differs from seqinfo's ``imWidth/imHeight``.
        """
        path = self.image_path(frame)
        if not path.is_file():
            raise FileNotFoundError(f"MOTSequence: image not found (frame {frame}): {path}")
        img = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if img is None:
            raise ValueError(f"MOTSequence: OpenCV could not read the image {path}")
        want = (self.info.im_height, self.info.im_width)
        if img.shape[:2] != want:
            raise ValueError(
                f"MOTSequence: {path} is {img.shape[1]}x{img.shape[0]}, seqinfo.ini says "
                f"{want[1]}x{want[0]}"
            )
        return img

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


def load_detections(
    det_file: PathLike, features: PathLike | None = None
) -> tuple[F64, NDArray[np.floating] | None]:
    """Detection rows of a MOTChallenge det file, or of a features ``.npy`` with embeddings.

    Parameters
    ----------
    det_file : str or os.PathLike
        A det file, ``frame, id, x, y, w, h, score[, x, y, z]`` rows (7 or more columns).
    features : str or os.PathLike, optional
        A deep_sort-style ``.npy`` of shape ``(N, 7 + D)``; when given, its columns 0-6 are the
        rows (``det_file`` is not read) and columns 7+ the embeddings.

    Returns
    -------
    rows : ndarray, shape (N, C)
        The rows in file order (``C >= 7``).
    embeddings : ndarray, shape (N, D), or None
        The features' embeddings; None without ``features``.

    Raises
    ------
    FileNotFoundError, ValueError
        A missing or unreadable file (named); a det file of 9 columns, the MOT16/17/20 gt
        layout, whose column 7 is the "consider" flag, not a score.
    """
    if features is not None:
        return _load_features(Path(features))
    path = Path(det_file)
    return _check_det_layout(load_mot_txt(path, min_cols=7), path), None


def _check_det_layout(rows: F64, path: Path) -> F64:
    """``rows`` unless they have the 9 columns of a MOT16/17/20 gt file (``ValueError``)."""
    if rows.shape[1] == 9:
        raise ValueError(
            f"{path}: expected detections (frame, id, x, y, w, h, score[, x, y, z]: 7 or 10 "
            "columns), got 9 columns, the MOT16/17/20 ground-truth layout (frame, id, x, y, w, "
            "h, consider, class, visibility), whose column 7 is not a score; pass a det.txt"
        )
    return rows


FEATURES_FORM = "a .npy float array of shape (N, 7 + D), D >= 1 (det row + embedding)"


def _load_features(path: Path) -> tuple[F64, NDArray[np.floating]]:
    if not path.is_file():
        raise FileNotFoundError(f"MOTSequence: features file not found: {path}")
    try:  # never unpickles: object arrays and pickles are refused by NumPy itself
        arr = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        reason = " ".join(str(exc).split())
        if reason.startswith("Object arrays"):
            reason = "it holds Python objects (dtype object), which are never unpickled"
        elif "allow_pickle" in reason:
            reason = "it is not a .npy file (NumPy would unpickle it, which is never done)"
        raise ValueError(f"{path}: expected {FEATURES_FORM}; cannot read it: {reason}") from None
    if not isinstance(arr, np.ndarray):  # an .npz archive
        arr.close()
        raise ValueError(f"{path}: expected {FEATURES_FORM}, got an .npz archive")
    if arr.ndim != 2 or arr.shape[1] < 8 or arr.dtype.kind != "f":
        raise ValueError(f"{path}: expected {FEATURES_FORM}, got {arr.dtype} {arr.shape}")
    rows = arr[:, :7].astype(np.float64)
    found = first_invalid_row(rows)
    if found is None and not np.isfinite(arr[:, 7:]).all():
        found = (int(np.argmin(np.isfinite(arr[:, 7:]).all(axis=1))), "non-finite embedding")
    if found is not None:
        raise ValueError(f"{path}, row {found[0]}: {found[1]}")
    return rows, arr[:, 7:]
