"""BLAS threading for small matrix products (model fits, replicate-weight passes).

Every BLAS call there is small: ``p x BLOCK`` row blocks, ``p x p`` solves, the ``R x R`` Gram
matrix of a replicate design, ``W_rep.T @ Y`` with a handful of columns. Threading them only
adds the latency of waking OpenBLAS's worker threads, which is milliseconds per call when the
other cores are busy (measured on the 2-core benchmark machine: a 1e5-row logistic fit went
from ~55 ms to ~25 ms with one thread; an 80 x 80 eigendecomposition from ~15 ms to 0.5 ms).
Such code runs with BLAS limited to one thread; the previous limits are restored afterwards.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["single_thread_blas", "one_blas_thread"]

F = TypeVar("F", bound=Callable[..., Any])


@functools.lru_cache(maxsize=1)
def _controller() -> Any:
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def single_thread_blas() -> Any:
    """Context manager: BLAS on one thread inside, the caller's setting restored on exit."""
    return _controller().limit(limits=1, user_api="blas")


def one_blas_thread(fn: F) -> F:
    """Decorator: run *fn* under :func:`single_thread_blas`."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with single_thread_blas():
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
