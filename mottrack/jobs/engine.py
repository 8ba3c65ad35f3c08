"""Engines: run one function over many items, serially, on a local process pool, or on Ray.

Every engine has the same interface, :meth:`Engine.imap`: it yields ``(index, outcome)`` in
completion order, where ``outcome`` is the function's return value or the exception that
stopped the task (a worker that died, a task Ray could not run); it never raises for one
task. Submission follows the items' order, so items sorted longest first start first.

- :class:`SerialEngine`: in this process (``--workers 1``).
- :class:`LocalEngine`: a ``concurrent.futures`` process pool of ``workers`` processes started
  with ``spawn`` (no state inherited from the parent), one BLAS/OpenCV thread each; the
  default, no extra dependency.
- :class:`RayEngine`: Ray tasks of one CPU each, on a local Ray instance or the cluster at
  ``address`` (``pip install 'mottrack[ray]'``; mottrack must be importable on every node and
  the inputs readable there; results come back to this process, which writes them).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any

from .._extras import MissingExtraError, import_extra

__all__ = [
    "Engine",
    "LocalEngine",
    "MissingExtraError",
    "RayEngine",
    "SerialEngine",
    "create_engine",
]


class Engine:
    """Base of the engines: ``imap(fn, items)`` and ``close()``.

    Attributes
    ----------
    name : str
        ``"serial"``, ``"local"`` or ``"ray"``.
    workers : int
        Tasks run at once (for Ray on a cluster: the cluster's CPUs).
    """

    name = "engine"
    workers = 1

    def imap(self, fn: Callable[..., Any], items: Sequence[tuple]) -> Iterator[tuple[int, Any]]:
        """Yield ``(index, fn(*items[index]) or the exception it raised)`` as tasks finish."""
        raise NotImplementedError

    def close(self) -> None:
        """Release workers (a no-op where there are none)."""

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SerialEngine(Engine):
    """Every task in this process, in order."""

    name = "serial"

    def imap(self, fn: Callable[..., Any], items: Sequence[tuple]) -> Iterator[tuple[int, Any]]:
        for i, args in enumerate(items):
            try:
                outcome = fn(*args)
            except Exception as exc:
                outcome = exc
            yield i, outcome


#: Thread-count variables set to 1 for pool workers (unless already set): the pool is the
#: parallelism, and spinning BLAS/OpenMP threads of several workers on the same cores slow the
#: small per-frame matrix products down many times (Ray does the same for its workers).
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@contextlib.contextmanager
def _one_thread_environment() -> Iterator[None]:
    """Set :data:`THREAD_VARIABLES` to 1 where unset, for processes started meanwhile."""
    added = [name for name in THREAD_VARIABLES if name not in os.environ]
    os.environ.update(dict.fromkeys(added, "1"))
    try:
        yield
    finally:
        for name in added:
            os.environ.pop(name, None)


def _init_worker() -> None:
    """One OpenCV thread per worker process (BLAS: :data:`THREAD_VARIABLES`)."""
    import cv2

    cv2.setNumThreads(1)


class LocalEngine(Engine):
    """A pool of ``workers`` local processes (``spawn``).

    Parameters
    ----------
    workers : int
        Number of processes, >= 1.
    """

    name = "local"

    def __init__(self, workers: int) -> None:
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ValueError(f"--workers: expected an integer >= 1, got {workers!r}")
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def imap(self, fn: Callable[..., Any], items: Sequence[tuple]) -> Iterator[tuple[int, Any]]:
        if not items:
            return
        if self._pool is None:
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=context, initializer=_init_worker
            )
        with _one_thread_environment():  # workers start on submit and copy the environment
            futures: dict[Future, int] = {self._pool.submit(fn, *a): i for i, a in enumerate(items)}
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in sorted(done, key=futures.__getitem__):
                exc = future.exception()
                yield futures[future], future.result() if exc is None else exc

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class RayEngine(Engine):
    """Ray tasks of one CPU each.

    Parameters
    ----------
    address : str, optional
        A running cluster (``"auto"``, ``"ray://host:10001"``); without it a local Ray instance
        with ``workers`` CPUs is started (and shut down by :meth:`close`). An instance already
        started in this process (``ray.init``) is used as it is.
    workers : int
        CPUs of the local instance.
    """

    name = "ray"

    def __init__(self, address: str | None = None, workers: int = 1) -> None:
        self._ray = import_extra("ray", "--engine ray")
        self._owned = False
        if not self._ray.is_initialized():
            options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
            if address is None:
                options["num_cpus"] = workers
            self._ray.init(address=address, **options)
            self._owned = True
        self.workers = int(self._ray.cluster_resources().get("CPU", workers))

    def imap(self, fn: Callable[..., Any], items: Sequence[tuple]) -> Iterator[tuple[int, Any]]:
        ray = self._ray
        task = ray.remote(num_cpus=1, max_retries=0)(fn)
        refs = {task.remote(*a): i for i, a in enumerate(items)}
        pending = list(refs)
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            for ref in done:
                try:
                    outcome = ray.get(ref)
                except Exception as exc:  # a task error or a worker that died
                    outcome = exc
                yield refs[ref], outcome

    def close(self) -> None:
        if self._owned and self._ray.is_initialized():
            self._ray.shutdown()
        self._owned = False


def create_engine(name: str, workers: int = 1, address: str | None = None) -> Engine:
    """The engine ``--engine name`` names.

    Parameters
    ----------
    name : {"local", "ray"}
        ``"local"`` with ``workers == 1`` is the :class:`SerialEngine`.
    workers : int
        Processes of the local pool, or CPUs of a local Ray instance.
    address : str, optional
        Ray cluster address (``--address``; Ray only).
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"--workers: expected an integer >= 1, got {workers!r}")
    if name == "ray":
        return RayEngine(address, workers)
    if address is not None:
        raise ValueError("--address: only with --engine ray")
    if name != "local":
        raise ValueError(f"--engine: expected 'local' or 'ray', got {name!r}")
    return SerialEngine() if workers == 1 else LocalEngine(workers)
