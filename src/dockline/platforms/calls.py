"""Store calls made one at a time in a background thread, so that a job's bookkeeping goes on while the store
answers.

`forward_orders` hands the store the order's new status and goes on writing the next order's file record;
`post_shipments` records one shipment while the next is being posted. The calls still go out one after another,
in the job's order, so the store sees what it saw before, only sooner. Only the call runs in the thread: it
must not touch the database (the job's connection and transaction stay in the job's thread). Leaving the
block drops a call not started yet and waits for the one under way: an answer the job did not record is asked
of the store again on the next run, as after a job that died (the connectors check what the store has first).
"""
from __future__ import annotations

import contextvars
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


class StoreCalls:
    """`submit` a store call; its Future's `result()` is the answer, or raises what the call raised."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dockline-store-call")

    def submit(self, call: Callable[..., T], *args) -> Future[T]:
        return self._pool.submit(contextvars.copy_context().run, call, *args)

    def __enter__(self) -> StoreCalls:
        return self

    def __exit__(self, *exc) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
