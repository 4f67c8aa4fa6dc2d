"""A bounded thread pool for the audit's AWS calls; results always come back in input order."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable, Iterable, TypeVar

T = TypeVar("T")
R = TypeVar("R")

# AWS throttles ECS read actions per account and Region with token buckets that hold 50 to 100
# requests (burst) and refill at 20 per second (sustained); throttled calls are retried with
# backoff, and botocore's standard retry quota (500 units, 5 per throttled retry, refunded on
# success) lets about ten calls in flight each use their whole retry budget at once.
# https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html
DEFAULT_MAX_CONCURRENCY = 10


class Pool:
    """Runs independent calls at most `size` at a time. With size 1 everything runs inline, in
    order, on the calling thread (the serial audit). A pool is not re-entrant: a function it
    runs must not call `map` on the same pool (a full pool would wait on itself)."""

    def __init__(self, size: int = DEFAULT_MAX_CONCURRENCY) -> None:
        if size < 1:
            raise ValueError("the pool size must be at least 1")
        self.size = size
        self._executor = ThreadPoolExecutor(size, "ecslint-audit") if size > 1 else None

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """fn over items, results in the order of items whatever order they finish in. The
        first exception (in input order) is raised once every started call has ended."""
        work = list(items)
        if self._executor is None or len(work) < 2:
            return [fn(item) for item in work]
        futures: list[Future[R]] = [self._executor.submit(fn, item) for item in work]
        errors = [f.exception() for f in futures]  # waits for every call
        for error in errors:
            if error is not None:
                raise error
        return [f.result() for f in futures]

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
