"""A synthetic scene filmed by a panning camera (for camera motion compensation).

Objects live in a world larger than the image (a :func:`.simulate.generate` scene of the
world's size); a camera whose view is ``width x height`` pans over it with a jerky path:
piecewise-constant velocities that change abruptly every few frames and reverse at the world's
edges. Everything the tracker sees is in camera pixels: ``image = world - camera``, for the
ground truth, the detections and the rendered frames alike. The world has a fixed random
texture (blobs, rectangles and lines over smooth noise) that moves with the camera, so image
registration (ECC, ORB, optical flow) has something to lock on to.

The true frame-to-frame motion is a pure translation, :meth:`PanningSequence.true_affine`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from .._checks import check_frame_number
from ..boxes import convert
from ..io import SeqInfo, iter_detections, write_sequence
from ..types import Detections
from .detector import box_area
from .render import draw_objects
from .sequence import SyntheticSequence
from .simulate import generate

__all__ = ["PanningSequence", "panning_scene"]

F64 = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class PanningSequence:
    """A world scene, a camera path over it and what the camera sees (arrays read-only).

    Attributes
    ----------
    world : SyntheticSequence
        The objects in world pixels.
    camera : ndarray, shape (F, 2)
        World position of the image's top-left corner at each frame (row ``f - 1``).
    background : ndarray, shape (Hw, Ww, 3), uint8
        The world's texture (BGR).
    info : SeqInfo
        The camera's sequence (image size ``width x height``).
    gt : ndarray, shape (G, 9)
        MOT17-style ground truth in image pixels (boxes clipped to the image; objects less
        than a quarter inside are left out).
    det : ndarray, shape (N, 10)
        Detections in image pixels (clipped; those less than a quarter inside left out).
    det_gt_ids : ndarray, shape (N,)
        Object id behind each det row (-1: false positive).
    """

    world: SyntheticSequence
    camera: F64
    background: NDArray[np.uint8]
    info: SeqInfo
    gt: F64
    det: F64
    det_gt_ids: NDArray[np.int64]

    @property
    def name(self) -> str:
        """Sequence name."""
        return self.info.name

    def frames(self) -> Iterator[tuple[int, Detections]]:
        """Yield ``(frame, Detections)`` for every frame (image pixels)."""
        return iter_detections(self.det, self.info.seq_length, None, source=self.name)

    def true_affine(self, frame: int) -> F64:
        """The true camera motion into ``frame``: previous-frame pixels to this frame's.

        Returns
        -------
        ndarray, shape (2, 3)
            ``[[1, 0, -dx], [0, 1, -dy]]`` with ``(dx, dy)`` the camera's move (the identity
            at frame 1).
        """
        check_frame_number("true_affine", frame, self.info.seq_length)
        affine = np.eye(2, 3)
        if frame > 1:
            affine[:, 2] = self.camera[frame - 2] - self.camera[frame - 1]
        return affine

    def render_frame(self, frame: int) -> NDArray[np.uint8]:
        """The camera's image at ``frame`` (1-based): BGR, shape ``(height, width, 3)``."""
        check_frame_number("render_frame", frame, self.info.seq_length)
        img = self.background.copy()
        draw_objects(img, self.world, frame, bgr=True)
        shift = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
        shift[:, 2] = -self.camera[frame - 1]
        size = (self.info.im_width, self.info.im_height)
        return cv2.warpAffine(img, shift, size, flags=cv2.INTER_LINEAR)

    def write(self, root: str | os.PathLike[str]) -> Path:
        """Write ``<root>/<name>/`` (seqinfo.ini, gt/gt.txt, det/det.txt); returns the folder."""
        folder = Path(root) / self.name
        write_sequence(folder, self.info, self.gt, self.det)
        return folder


def camera_path(
    rng: np.random.Generator, num_frames: int, span: tuple[float, float], max_speed: float
) -> F64:
    """A jerky pan: velocity segments of 4-12 frames, reversed at the edges of ``span``.

    Parameters
    ----------
    rng : numpy.random.Generator
    num_frames : int
    span : (float, float)
        Largest camera position in x and y (the smallest is 0).
    max_speed : float
        Largest horizontal speed in pixels/frame (vertical: a third of it).

    Returns
    -------
    ndarray, shape (num_frames, 2)
        Camera positions, starting in the middle of ``span``.
    """
    top = np.asarray(span, np.float64)
    limit = np.array([max_speed, max_speed / 3.0])
    pos, out = top / 2.0, np.empty((num_frames, 2))
    velocity, left = np.zeros(2), 0
    for f in range(num_frames):
        if left == 0:
            velocity = rng.uniform(-1.0, 1.0, 2) * limit
            left = int(rng.integers(4, 13))
        left -= 1
        if f:
            step = pos + velocity
            bounce = (step < 0.0) | (step > top)
            velocity[bounce] *= -1.0
            pos = np.clip(pos + velocity, 0.0, top)
        out[f] = pos
    return out


def textured_background(rng: np.random.Generator, width: int, height: int) -> NDArray[np.uint8]:
    """A random world texture (BGR): smooth noise with blobs, rectangles and lines."""
    noise = rng.random((height // 8 + 1, width // 8 + 1)) * 120.0 + 60.0
    base = cv2.resize(noise, (width, height), interpolation=cv2.INTER_CUBIC)
    img = np.repeat(np.clip(base, 0, 255).astype(np.uint8)[:, :, None], 3, axis=2)
    area = width * height
    for _ in range(area // 2500):
        kind = int(rng.integers(3))
        color = tuple(int(c) for c in rng.integers(0, 256, 3))
        x, y = int(rng.integers(width)), int(rng.integers(height))
        size = int(rng.integers(3, 25))
        if kind == 0:
            cv2.circle(img, (x, y), size, color, -1)
        elif kind == 1:
            cv2.rectangle(img, (x, y), (x + size, y + size // 2 + 2), color, -1)
        else:
            end = (x + int(rng.integers(-40, 41)), y + int(rng.integers(-40, 41)))
            cv2.line(img, (x, y), end, color, 2)
    return img


def _to_image(boxes: F64, corners: F64, width: int, height: int) -> tuple[F64, F64]:
    """World ``xyxy`` boxes seen by cameras at ``corners`` (a top-left corner per box): clipped
    image boxes and the fraction of each inside."""
    moved = boxes - np.tile(corners, 2)
    clipped = np.clip(moved, 0.0, [width, height, width, height])
    return clipped, box_area(clipped) / box_area(moved)


def panning_scene(
    num_frames: int = 120,
    width: int = 640,
    height: int = 360,
    margin: tuple[int, int] = (480, 160),
    max_speed: float = 14.0,
    num_objects: float = 24.0,
    seed: int = 0,
    name: str = "PAN-01",
) -> PanningSequence:
    """Generate a panning-camera sequence (see the module docstring).

    Parameters
    ----------
    num_frames : int, default 120
    width, height : int, default 640 x 360
        The camera's image size.
    margin : (int, int), default (480, 160)
        How far the camera can pan: the world is ``width + margin[0]`` by
        ``height + margin[1]``.
    max_speed : float, default 14
        Largest horizontal camera speed, pixels/frame (vertical: a third).
    num_objects : float, default 24
        Mean number of objects in the world.
    seed : int, default 0
        Seeds the world scene, the camera path and the texture.
    name : str

    Returns
    -------
    PanningSequence
    """
    ww, wh = width + margin[0], height + margin[1]
    world = generate(
        num_frames=num_frames,
        width=ww,
        height=wh,
        num_objects=num_objects,
        height_range=(50.0, 110.0),
        speed_range=(0.3, 1.5),
        false_positives=0.5,
        box_jitter=0.03,
        name=f"{name}-world",
        seed=seed,
    )
    rng = np.random.default_rng([seed, 1])
    camera = camera_path(rng, num_frames, (float(margin[0]), float(margin[1])), max_speed)
    background = textured_background(rng, ww, wh)

    # Every row at once: the camera of its frame, the part inside the image (>= 1/4 kept).
    gt_corner = camera[world.gt[:, 0].astype(np.int64) - 1]
    boxes, inside = _to_image(world.gt_full_xyxy, gt_corner, width, height)
    keep = inside >= 0.25
    gt = world.gt[keep].copy()
    gt[:, 2:6] = np.round(convert(boxes[keep], "xyxy", "xywh"), 2)
    gt[:, 8] = np.round(gt[:, 8] * inside[keep], 4)
    det_corner = camera[world.det[:, 0].astype(np.int64) - 1]
    det_xyxy = convert(world.det[:, 2:6], "xywh", "xyxy")
    boxes, inside = _to_image(det_xyxy, det_corner, width, height)
    keep = inside >= 0.25
    det = world.det[keep].copy()
    det[:, 2:6] = np.round(convert(boxes[keep], "xyxy", "xywh"), 2)
    det_ids = world.det_gt_ids[keep]
    for arr in (gt, det, det_ids):
        arr.flags.writeable = False

    camera.flags.writeable = False
    background.flags.writeable = False
    info = SeqInfo(name, num_frames, world.info.frame_rate, width, height)
    return PanningSequence(
        world=world,
        camera=camera,
        background=background,
        info=info,
        gt=gt,
        det=det,
        det_gt_ids=det_ids,
    )
