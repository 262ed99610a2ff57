"""Limits for code we did not write: SIGALRM for a busy loop, asyncio timeouts for a stuck await.

Memory is limited by the worker (RLIMIT_AS), so a huge allocation raises MemoryError; out_of_memory()
words it for the learner.
"""

import asyncio
import contextlib
import resource
import signal
import threading


class TimeLimitExceeded(BaseException):
    """Raised into code that ran past its limit. A BaseException, so `except Exception` cannot swallow it."""

    def __init__(self, what: str, seconds: float) -> None:
        super().__init__(f"{what} did not finish within {seconds:g} s")
        self.what = what
        self.seconds = seconds


@contextlib.contextmanager
def alarm(seconds: float, what: str, reported: float | None = None):
    """Interrupt the main thread after `seconds`, even inside a busy `while True:` loop.

    Nests: an inner limit never extends an outer one. Off the main thread it does nothing.
    """
    if threading.current_thread() is not threading.main_thread() or seconds <= 0:
        yield
        return

    def _raise(signum, frame):
        raise TimeLimitExceeded(what, reported or seconds)

    outer_remaining, _ = signal.getitimer(signal.ITIMER_REAL)
    previous = signal.signal(signal.SIGALRM, _raise)
    limit = min(seconds, outer_remaining) if outer_remaining else seconds
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        yield
    finally:
        remaining, _ = signal.getitimer(signal.ITIMER_REAL)
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer_remaining:
            spent = limit - remaining
            signal.setitimer(signal.ITIMER_REAL, max(outer_remaining - spent, 0.001))


async def run_limited(awaitable, seconds: float, what: str):
    """Await with a limit: asyncio's timeout for awaits, and an alarm a little later for busy loops."""
    # The alarm comes a little later: it is only for code that blocks the loop, so timeout cannot fire.
    with alarm(seconds + 2, what, reported=seconds):
        timeout = asyncio.timeout(seconds)
        try:
            async with timeout:
                return await awaitable
        except TimeoutError as exc:
            if timeout.expired():
                raise TimeLimitExceeded(what, seconds) from exc
            raise


def out_of_memory(where: str = "") -> str:
    """What to tell a learner whose code raised MemoryError under the grading memory limit."""
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY:
        return f"Your code ran out of memory{where} (a huge list, string or query result?)"
    return (f"Your code ran out of memory: it used more than {soft / 1024**3:.3g} GB{where}, "
            "the most grading allows (a huge list, string or query result?)")
