"""Hostile-input probes: every case must end as a clear error (a) or be handled correctly (b).

Run ``python tests/reliability_probes.py`` for the table of outcomes; ``tests/test_reliability.py``
fails if any case is silently wrong (c) or crashes / raises an unhelpful error (d).

Outcomes:

a. clear error: the case is expected to fail and raises ``ValueError``/``TypeError``/
   ``FileNotFoundError`` whose message matches the probe's pattern (it names the argument);
b. handled: the case is expected to work, and its check holds;
c. silently wrong: an expected error did not come, or the result fails its check;
d. crash or unhelpful: another exception, or an error whose message does not name the problem.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from mottrack import Detections, Pipeline, create_tracker, list_trackers
from mottrack.boxes import iou_matrix
from mottrack.cli import main
from mottrack.embeddings import unit_rows
from mottrack.types import as_detections

BOX = [10.0, 20.0, 50.0, 100.0]
ROW = [*BOX, 0.9]
FRAME = np.zeros((120, 160, 3), np.uint8)
ERRORS = (ValueError, TypeError, FileNotFoundError)


@dataclass(frozen=True)
class Probe:
    """One case: ``run`` it; expect an error matching ``error``, or a result passing ``check``."""

    name: str
    run: Callable[[], Any]
    error: str | None = None
    check: Callable[[Any], bool] | None = None


def outcome(probe: Probe) -> tuple[str, str]:
    """``("a"|"b"|"c"|"d", detail)`` for one probe."""
    try:
        result = probe.run()
    except ERRORS as exc:
        if probe.error is None:
            return "d", f"unexpected {type(exc).__name__}: {exc}"
        if re.search(probe.error, str(exc)) and "\n" not in str(exc).strip():
            return "a", str(exc)
        return "d", f"unhelpful {type(exc).__name__}: {exc}"
    except Exception as exc:  # any other type is a crash, whatever its message
        return "d", f"crash {type(exc).__name__}: {exc}"
    if probe.error is not None:
        return "c", f"no error, returned {result!r:.80}"
    if probe.check is not None and not probe.check(result):
        return "c", f"check failed on {result!r:.80}"
    return "b", "ok"


def _feats(n: int, dim: int = 4) -> np.ndarray:
    return np.tile(np.eye(dim)[0], (n, 1))


def _dets(n: int = 1, **kw: Any) -> Detections:
    return Detections(np.tile(BOX, (n, 1)), np.full(n, 0.9), embeddings=_feats(n), **kw)


def _run_frames(name: str, frames: list[Any], **params: Any) -> list[Any]:
    tracker = create_tracker(name, **params)
    return [tracker.update(f) for f in frames]


def _after_failure(name: str, bad: Any) -> bool:
    """A failing frame between good ones changes nothing."""
    good = [_dets() for _ in range(5)]
    clean = _run_frames(name, good)
    tracker = create_tracker(name)
    out = [tracker.update(d) for d in good[:2]]
    try:
        tracker.update(bad)
    except ERRORS:
        pass
    out += [tracker.update(d) for d in good[2:]]
    return all(
        np.array_equal(a.xyxy, b.xyxy) and np.array_equal(a.ids, b.ids) for a, b in zip(out, clean)
    )


def detections_probes() -> list[Probe]:
    """``Detections`` / ``as_detections`` construction."""
    d = "Detections"
    cases = [
        Probe("string rows", lambda: as_detections("x"), r"detections: expected Detections"),
        Probe("dict rows", lambda: as_detections({}), r"detections: expected Detections"),
        Probe("None rows", lambda: as_detections(None), r"detections: expected Detections"),
        Probe("bool rows", lambda: as_detections(np.ones((1, 5), bool)), "real numbers"),
        Probe("complex rows", lambda: as_detections(np.ones((1, 5), complex)), "real numbers"),
        Probe("object rows", lambda: as_detections(np.array([[object()] * 5])), "real numbers"),
        Probe("ragged rows", lambda: as_detections([[1, 2, 3, 4, 5], [1, 2]]), r"detections"),
        Probe("(3, 0) rows", lambda: as_detections(np.empty((3, 0))), r"\(N, 5\)"),
        Probe("(2, 4) rows", lambda: as_detections(np.zeros((2, 4))), r"\(N, 5\)"),
        Probe("(2, 7) rows", lambda: as_detections(np.zeros((2, 7))), r"\(N, 5\)"),
        Probe("3-d rows", lambda: as_detections(np.zeros((1, 1, 5))), r"\(N, 5\)"),
        Probe("NaN box", lambda: as_detections([[np.nan, 0, 1, 1, 1]]), "finite"),
        Probe("inf score", lambda: as_detections([[0, 0, 1, 1, np.inf]]), "finite"),
        Probe("x2 < x1", lambda: as_detections([[5, 0, 1, 1, 1]]), "x2 >= x1"),
        Probe("huge box", lambda: as_detections([[0, 0, 1e160, 1e160, 1]]), r"within \+-"),
        Probe("fractional class", lambda: as_detections([[*ROW, 1.5]]), "integer labels"),
        Probe("class 1e300", lambda: as_detections([[*ROW, 1e300]]), "integer labels"),
        Probe("class 2**70", lambda: Detections(np.array([BOX]), classes=[2**70]), "classes"),
        Probe("scores wrong count", lambda: Detections(np.array([BOX]), [1, 2]), "scores"),
        Probe("emb wrong rows", lambda: Detections(np.array([BOX]), embeddings=_feats(2)), "emb"),
        Probe("emb 1-d", lambda: Detections(np.array([BOX]), embeddings=[1.0, 0]), "embeddings"),
        Probe("emb NaN", lambda: Detections(np.array([BOX]), embeddings=[[np.nan]]), "finite"),
        Probe("emb strings", lambda: Detections(np.array([BOX]), embeddings=[["a"]]), "real"),
        Probe("select [5]", lambda: _dets(3).select([5]), r"rows must lie in"),
        Probe("select [0.7]", lambda: _dets(3).select([0.7]), "integer row indices"),
        Probe("select short mask", lambda: _dets(3).select([True]), "boolean mask"),
        Probe("empty list", lambda: as_detections([]), check=lambda r: len(r) == 0),
        Probe("(0, 6) rows", lambda: as_detections(np.zeros((0, 6))), check=lambda r: len(r) == 0),
        Probe("int rows", lambda: as_detections([[1, 2, 3, 4, 1]]), check=lambda r: len(r) == 1),
        Probe("list rows", lambda: as_detections([ROW]), check=lambda r: r.xyxy.tolist() == [BOX]),
        Probe("zero-size box", lambda: Detections(np.array([[1.0, 1, 1, 1]])), check=len),
        Probe("float classes", lambda: as_detections([[*ROW, 3.0]]), check=lambda r: r.classes[0]),
        Probe(
            "inputs never mutated",
            lambda: (lambda a: (Detections(a).xyxy, a))(np.array([BOX])),
            check=lambda r: not r[0].flags.writeable and r[1].flags.writeable,
        ),
    ]
    return [Probe(f"{d}: {p.name}", p.run, p.error, p.check) for p in cases]


def tracker_probes(name: str) -> list[Probe]:
    """One tracker's ``update`` under hostile input; its state must survive failures."""
    needs_emb = name != "sort"
    emb_error = r"embeddings=\(N, D\) array" if needs_emb else None
    cases = [
        Probe("no detections", lambda: create_tracker(name).update(), "detections are required"),
        Probe("string", lambda: create_tracker(name).update("x"), "detections: expected"),
        Probe(
            "missing embeddings",
            lambda: create_tracker(name).update([ROW]),
            emb_error,
            check=None if needs_emb else len,
        ),
        Probe(
            "zero-height box",
            lambda: create_tracker(name).update(
                Detections(np.array([[0.0, 5, 10, 5]]), embeddings=_feats(1))
            ),
            "positive",
        ),
        Probe(
            "all-zero embedding",
            lambda: create_tracker(name).update(Detections(np.array([BOX]), embeddings=[[0.0]])),
            "all zeros" if needs_emb else None,
            check=None if needs_emb else (lambda r: True),
        ),
        Probe(
            "embedding size change",
            lambda: _run_frames(name, [_dets(), Detections(np.array([BOX]), embeddings=[[1.0]])]),
            "dimension 4" if needs_emb else None,
            check=None if needs_emb else (lambda r: True),
        ),
        Probe(
            "bad frame",
            lambda: create_tracker(name).update(_dets(), frame=np.zeros((4, 4))),
            r"frame: expected shape",
        ),
        Probe("unknown parameter", lambda: create_tracker(name, colour=1), "unknown parameter"),
        Probe("empty frame", lambda: _run_frames(name, [np.empty((0, 5))]), check=lambda r: True),
        Probe("many empty frames", lambda: _run_frames(name, [np.empty((0, 5))] * 50), check=len),
        Probe(
            "tiny embeddings",
            lambda: _run_frames(
                name, [Detections(np.array([BOX]), embeddings=np.full((1, 4), 1e-200))] * 4
            ),
            check=lambda r: np.isfinite(r[-1].xyxy).all(),
        ),
        Probe(
            "huge box then normal frames",
            lambda: _after_failure(name, np.array([[0, 0, 1e9, 1e9, 0.9]])),
            check=bool,
        ),
        Probe(
            "bad embedding then normal frames",
            lambda: _after_failure(name, Detections(np.array([BOX]), embeddings=[[0.0] * 4])),
            check=bool,
        ),
        Probe(
            "class follows detections",
            lambda: (
                _run_frames(
                    name, [_dets(classes=[7]), _dets(classes=[7]), _dets(classes=[17])], min_hits=0
                )
                if name == "sort"
                else _run_frames(name, [_dets(classes=[c]) for c in (7, 7, 7, 17)])
            ),
            check=lambda r: r[-1].classes.tolist() == [17],
        ),
        Probe(
            "outputs read-only",
            lambda: _run_frames(name, [_dets()] * 4)[-1],
            check=lambda t: not (t.xyxy.flags.writeable or t.ids.flags.writeable),
        ),
        Probe(
            "pipeline without embedder",
            lambda: Pipeline(create_tracker(name)).update(FRAME, Detections(np.array([BOX]))),
            r"Pipeline\(tracker, embedder" if needs_emb else None,
            check=None if needs_emb else len,
        ),
        Probe(
            "pipeline without detector",
            lambda: Pipeline(create_tracker(name)).update(FRAME),
            "detector",
        ),
    ]
    return [Probe(f"{name}: {p.name}", p.run, p.error, p.check) for p in cases]


def numeric_probes() -> list[Probe]:
    """Box math and embeddings at the edges of float64."""
    tiny = np.array([[0.0, 0.0, 1e-154, 1e-154]])
    return [
        Probe(
            "iou of a tiny box with itself",
            lambda: iou_matrix(tiny, tiny),
            check=lambda r: r[0, 0] == 1,
        ),
        Probe(
            "iou of empty boxes",
            lambda: iou_matrix(np.zeros((1, 4)), np.zeros((1, 4))),
            check=lambda r: r[0, 0] == 0,
        ),
        Probe(
            "unit_rows 1e-200",
            lambda: unit_rows([[1e-200, 1e-200]], np.float64),
            check=lambda r: np.allclose(r, 0.5**0.5),
        ),
        Probe(
            "unit_rows 1e200",
            lambda: unit_rows([[1e200, 0.0]], np.float64),
            check=lambda r: r[0, 0] == 1,
        ),
        Probe("unit_rows zeros", lambda: unit_rows([[0.0, 0.0]]), "all zeros"),
    ]


class CommandFailed(ValueError):
    """A ``mottrack`` command exited non-zero; the message is its standard error."""


def _command(*argv: str) -> str:
    """Run ``mottrack argv``; raise :class:`CommandFailed` with its stderr unless it exits 0.

    A traceback on stderr or an exception out of ``main`` counts as a crash.
    """
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(list(argv))
        except SystemExit as exc:  # argparse
            code = exc.code if isinstance(exc.code, int) else 2
    text = err.getvalue().strip()
    if "Traceback" in text:
        raise RuntimeError(text)
    if code:
        last = text.splitlines()[-1] if text else f"exit {code} without a message"
        raise CommandFailed(last)
    return text


#: Files the probes write live here; removed when the interpreter exits.
_SCRATCH = tempfile.TemporaryDirectory(prefix="mottrack-probes-")


def _text_file(content: bytes, name: str = "det.txt") -> str:
    folder = tempfile.mkdtemp(dir=_SCRATCH.name)
    path = os.path.join(folder, name)
    with open(path, "wb") as f:
        f.write(content)
    return path


def cli_probes() -> list[Probe]:
    """The command line, as a new user mistypes it."""
    det = _text_file(b"1,-1,10,20,40,80,0.9,-1,-1,-1\n2,-1,11,20,40,80,0.9,-1,-1,-1\n")
    out = os.path.join(tempfile.mkdtemp(dir=_SCRATCH.name), "r.txt")
    track = ("track", "--quiet", "--det")
    cases = [
        Probe("track ok", lambda: _command(*track, det, "--out", out), check=lambda r: True),
        Probe("missing det", lambda: _command(*track, "/nonexistent/det.txt", "--out", out), "det"),
        Probe(
            "det is a folder", lambda: _command(*track, os.path.dirname(det), "--out", out), "det"
        ),
        Probe(
            "header row",
            lambda: _command(*track, _text_file(b"frame,id,x\n1,2,3\n"), "--out", out),
            "line 1",
        ),
        Probe(
            "utf-16 file",
            lambda: _command(*track, _text_file("1,2".encode("utf-16")), "--out", out),
            "UTF-16",
        ),
        Probe(
            "semicolons",
            lambda: _command(*track, _text_file(b"1;-1;1;1;2;2;1;-1;-1;-1\n"), "--out", out),
            "column",
        ),
        Probe(
            "binary file",
            lambda: _command(*track, _text_file(bytes(range(256))), "--out", out),
            r"det",
        ),
        Probe(
            "bom is fine",
            lambda: _command(
                *track, _text_file(b"\xef\xbb\xbf" + open(det, "rb").read()), "--out", out
            ),
            check=lambda r: True,
        ),
        Probe(
            "out is a folder", lambda: _command(*track, det, "--out", os.path.dirname(det)), "--out"
        ),
        Probe("out empty", lambda: _command(*track, det, "--out", ""), "--out"),
        Probe("out under a file", lambda: _command(*track, det, "--out", det + "/r.txt"), "--out"),
        Probe(
            "unknown param",
            lambda: _command(*track, det, "--out", out, "--param", "x=1"),
            "unknown key",
        ),
        Probe(
            "bad param value",
            lambda: _command(*track, det, "--out", out, "--param", "max_age=a"),
            "max_age",
        ),
        Probe(
            "deepsort without features",
            lambda: _command(*track, det, "--out", out, "--tracker", "deepsort"),
            "features",
        ),
        Probe(
            "bad features file",
            lambda: _command(*track, det, "--out", out, "--tracker", "deepsort", "--features", det),
            r"expected a \.npy",
        ),
        Probe(
            "device tpu", lambda: _command(*track, det, "--out", out, "--device", "tpu"), "device"
        ),
        Probe("demo seed -1", lambda: _command("demo", "--seed", "-1"), "seed"),
        Probe("demo frames 0", lambda: _command("demo", "--frames", "0"), "frames"),
        Probe(
            "eval missing gt",
            lambda: _command("eval", "--gt-root", "/nonexistent", "--results", "/nonexistent"),
            r"gt|nonexistent",
        ),
        Probe("version", lambda: _command("--version"), check=lambda r: True),
    ]
    return [Probe(f"cli: {p.name}", p.run, p.error, p.check) for p in cases]


def all_probes() -> list[Probe]:
    """The whole list."""
    probes = detections_probes() + numeric_probes() + cli_probes()
    for name in list_trackers():
        probes += tracker_probes(name)
    return probes


def run_all() -> dict[str, list[tuple[str, str]]]:
    """Outcomes grouped by class ``a``..``d``: ``[(probe name, detail), ...]``."""
    groups: dict[str, list[tuple[str, str]]] = {k: [] for k in "abcd"}
    for probe in all_probes():
        kind, detail = outcome(probe)
        groups[kind].append((probe.name, detail))
    return groups


if __name__ == "__main__":
    result = run_all()
    labels = {"a": "clear error", "b": "handled", "c": "silently wrong", "d": "crash/unhelpful"}
    for kind in "abcd":
        print(f"{kind}. {labels[kind]}: {len(result[kind])}")
    for kind in "cd":
        for name, detail in result[kind]:
            print(f"  {kind} {name}: {detail}")
