"""BLAS threading for the model fits.

Every BLAS call in the fits is small: ``p x BLOCK`` row blocks, ``p x p`` solves, dots of one
column. Threading them only adds the latency of waking OpenBLAS's worker threads, which is
milliseconds per call when the other cores are busy (measured on the 2-core benchmark machine:
a 1e5-row logistic fit went from ~55 ms to ~25 ms with one thread). The fits therefore run with
BLAS limited to one thread; the previous limits are restored afterwards.
"""

from __future__ import annotations

import functools
from typing import Any

__all__ = ["single_thread_blas"]


@functools.lru_cache(maxsize=1)
def _controller() -> Any:
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def single_thread_blas() -> Any:
    """Context manager: BLAS on one thread inside, the caller's setting restored on exit."""
    return _controller().limit(limits=1, user_api="blas")
