"""Drawing tracks on frames with supervision's annotators (the ``viz`` extra).

:class:`TrackDrawer` draws, per frame, each track's box, its ID and a short trail of its
recent box centres (bottom centre), in one colour per ID that stays the same for the whole
video (the palette entry ``id mod palette size``), plus the frame number in the top-left corner.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from ._extras import import_extra
from .types import Tracks

__all__ = ["TrackDrawer", "import_supervision"]


def import_supervision() -> Any:
    """``supervision``, or a ``ModuleNotFoundError`` naming the ``viz`` extra."""
    return import_extra("supervision", "drawing tracks")


class TrackDrawer:
    """Annotate BGR frames with tracks: boxes, IDs, trails, frame number.

    Parameters
    ----------
    trail_length : int, default 30
        Frames of trail kept per track (0: no trails).
    thickness : int, default 2
        Line thickness in pixels.
    text_scale : float, default 0.5
        Scale of the ID labels and the frame number.

    Notes
    -----
    Trails are remembered between calls; call :meth:`reset` before a new video.
    """

    def __init__(self, trail_length: int = 30, thickness: int = 2, text_scale: float = 0.5):
        if trail_length < 0 or thickness < 1 or text_scale <= 0:
            raise ValueError(
                "TrackDrawer: expected trail_length >= 0, thickness >= 1, text_scale > 0, got "
                f"{trail_length}, {thickness}, {text_scale}"
            )
        self._sv = sv = import_supervision()
        self.trail_length = trail_length
        self.thickness = thickness
        self.text_scale = text_scale
        self.palette = sv.ColorPalette.DEFAULT
        lookup = sv.ColorLookup.TRACK
        self._boxes = sv.BoxAnnotator(self.palette, thickness=thickness, color_lookup=lookup)
        self._labels = sv.LabelAnnotator(
            self.palette, color_lookup=lookup, text_scale=text_scale, text_padding=3
        )
        self._trails: Any = None
        self.reset()

    def reset(self) -> None:
        """Forget the trails (a new video starts)."""
        sv = self._sv
        self._trails = None
        if self.trail_length:
            self._trails = sv.TraceAnnotator(
                self.palette,
                position=sv.Position.BOTTOM_CENTER,
                trace_length=self.trail_length,
                thickness=self.thickness,
                color_lookup=sv.ColorLookup.TRACK,
            )

    def color_of(self, track_id: int) -> tuple[int, int, int]:
        """The BGR colour of ``track_id``."""
        return tuple(int(c) for c in self.palette.by_idx(int(track_id)).as_bgr())  # type: ignore[return-value]

    def draw(
        self, image: NDArray[np.uint8], tracks: Tracks, frame: int | None = None
    ) -> NDArray[np.uint8]:
        """Return a copy of ``image`` with ``tracks`` drawn on it.

        Parameters
        ----------
        image : ndarray, shape (H, W, 3), uint8
            BGR frame (left unchanged).
        tracks : Tracks
            This frame's tracks.
        frame : int, optional
            Frame number written in the top-left corner.

        Returns
        -------
        ndarray, shape (H, W, 3), uint8
        """
        sv = self._sv
        scene = np.ascontiguousarray(image).copy()
        dets = tracks.to_supervision()
        if self._trails is not None:
            scene = self._trails.annotate(scene, dets)
        scene = self._boxes.annotate(scene, dets)
        if len(dets):
            labels = [f"#{i}" for i in tracks.ids]
            scene = self._labels.annotate(scene, dets, labels=labels)
        if frame is not None:
            text = f"frame {frame}"
            scale = self.text_scale * 1.4
            weight = max(1, self.thickness // 2 + 1)
            (width, height), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, weight)
            pad = max(3, round(6 * self.text_scale))
            scene = sv.draw_text(
                scene,
                text,
                sv.Point(pad * 2 + width // 2, pad * 2 + height // 2),  # the text's centre
                text_color=sv.Color.WHITE,
                text_scale=scale,
                text_thickness=weight,
                text_padding=pad,
                background_color=sv.Color.BLACK,
            )
        return scene
