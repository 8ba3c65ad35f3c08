"""Reading and writing MOTChallenge files."""

from __future__ import annotations

from .atomic import atomic_write
from .mot import MOTSequence, group_by_frame, iter_detections, load_detections
from .motfile import ResultsWriter, load_mot_txt, write_results, write_sequence
from .seqinfo import SeqInfo, read_seqinfo, write_seqinfo
from .video import video_frames

__all__ = [
    "MOTSequence",
    "ResultsWriter",
    "SeqInfo",
    "atomic_write",
    "group_by_frame",
    "iter_detections",
    "load_detections",
    "load_mot_txt",
    "read_seqinfo",
    "video_frames",
    "write_results",
    "write_seqinfo",
    "write_sequence",
]
