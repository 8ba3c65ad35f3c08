"""Reading and writing MOTChallenge files."""

from __future__ import annotations

from .mot import (
    MOTSequence,
    ResultsWriter,
    SeqInfo,
    group_by_frame,
    iter_detections,
    load_mot_txt,
    read_seqinfo,
    write_results,
    write_seqinfo,
    write_sequence,
)

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
