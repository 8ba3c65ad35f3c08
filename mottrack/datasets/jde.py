"""A tiny rendered JDE training set from :func:`mottrack.datasets.generate`.

Each sequence is written as a MOTChallenge folder (``<out>/mot/<name>/``: ``img1/*.jpg``,
MOT17-layout ``gt/gt.txt``, ``seqinfo.ini``) and converted with
:func:`mottrack.fairmot.data.convert_mot` into ``<out>`` (images hard-linked), so tests and
benchmarks train on exactly what the converter makes of a real sequence.

This module depends on :mod:`mottrack.fairmot.data`, never the reverse: FairMOT's import graph
holds no synthetic scenes.
"""

from __future__ import annotations

from typing import Any

from ..fairmot.data.convert import Conversion, convert_mot
from ..fairmot.data.labels import PathLike
from .simulate import generate

__all__ = ["SMALL_SCENE", "build_synthetic_jde"]

#: Overrides of ``SyntheticConfig`` for a small, fast scene.
SMALL_SCENE: dict[str, Any] = {
    "num_frames": 8,
    "width": 320,
    "height": 192,
    "num_objects": 4,
    "height_range": (40.0, 110.0),
    "speed_range": (1.0, 4.0),
}


def build_synthetic_jde(
    out: PathLike,
    num_sequences: int = 1,
    *,
    seed: int = 0,
    name: str = "synthetic",
    **overrides: Any,
) -> Conversion:
    """Render ``num_sequences`` synthetic sequences and convert them to a JDE dataset.

    Parameters
    ----------
    out : path
        Output root; the data config is ``<out>/<name>.json``.
    num_sequences : int
        Sequences ``SYNTH-01``, ``SYNTH-02``, ... with seeds ``seed``, ``seed + 1``, ...
    seed : int
    name : str
        Dataset name.
    **overrides
        ``SyntheticConfig`` fields replacing :data:`SMALL_SCENE` values.

    Returns
    -------
    Conversion
    """
    if isinstance(num_sequences, bool) or not isinstance(num_sequences, int) or num_sequences < 1:
        raise ValueError(f"num_sequences: expected an integer >= 1, got {num_sequences!r}")
    params = {**SMALL_SCENE, **overrides}
    folders = []
    for k in range(num_sequences):
        seq = generate(**params, name=f"SYNTH-{k + 1:02d}", seed=seed + k)
        folders.append(seq.write(f"{out}/mot", render=True))
    return convert_mot(folders, out, name=name, link="hardlink")
