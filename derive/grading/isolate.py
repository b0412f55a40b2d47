"""Checks in worker processes with hard limits: nothing a student types can hang or sink a batch.

Each worker is a forked process (it inherits the loaded specs and SymPy, so it
starts in milliseconds) with an address-space limit (`RLIMIT_AS`) and, for
each task, a CPU-time limit (`RLIMIT_CPU`, set to the CPU it has used so far
plus the task's allowance). The parent also keeps a wall clock per task and
kills a worker that overruns it. A worker that dies or is killed gives its
one task a result that says why, and a fresh worker takes its place.
`run` serves a batch (`derive grade`, `derive check`); `Pool` keeps its
workers for a server (`derive serve`), one task a worker at a time.

The check's own deadline (`derive.checking`) normally answers `undecided` long
before these limits bite; they are the backstop for what a deadline cannot
interrupt (a huge exact power, a C-level loop, a memory explosion).
"""
from __future__ import annotations

import multiprocessing
import os
import queue
import resource
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import wait
from typing import Any

from ..limits import DEFAULT_MEMORY_MB, GRACE


@dataclass(frozen=True)
class Failure:
    """A task whose worker died or overran: why, in one line."""

    reason: str


def _inherited() -> int:
    """The bytes of address space this process has mapped now (0 where /proc does not say)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):  # pragma: no cover - not Linux
        return 0


def _limit_memory(megabytes: int, beyond_inherited: bool = False) -> None:
    limit = megabytes * 1024 * 1024 + (_inherited() if beyond_inherited else 0)
    try:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ValueError, OSError):  # pragma: no cover - a platform without RLIMIT_AS
        pass


def _limit_cpu(seconds: float) -> None:
    used = resource.getrusage(resource.RUSAGE_SELF)
    spent = used.ru_utime + used.ru_stime
    soft = int(spent + seconds) + 1
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    try:
        # only the soft limit moves (SIGXCPU ends the worker): without CAP_SYS_RESOURCE a hard
        # limit, once lowered, could never be raised again for the next task
        resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))
    except (ValueError, OSError):  # pragma: no cover
        pass


def _serve(connection, function: Callable, timeout: float, memory_mb: int, parent: int,
           beyond_inherited: bool = False) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _limit_memory(memory_mb, beyond_inherited)
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a worker stopped by SIGXCPU leaves no core file
    except (ValueError, OSError):  # pragma: no cover
        pass
    while True:
        try:
            while not connection.poll(0.5):
                if os.getppid() != parent:
                    return  # the parent was killed: do not linger as an orphan
            task = connection.recv()
        except EOFError:
            return
        if task is None:
            return
        key, payload, *allowance = task  # a pool's task may carry its own allowance (a whole derivation)
        _limit_cpu((allowance[0] if allowance else timeout) + 1)
        try:
            result = function(payload)
        except MemoryError:
            result = Failure("the check ran out of memory")
        except RecursionError:
            result = Failure("the answer is nested too deeply to check")
        except Exception as exc:  # noqa: BLE001 - a bug must cost one result, not the batch
            result = Failure(f"internal error in the checker ({type(exc).__name__}: {exc})")
        connection.send((key, result))


class _Worker:
    def __init__(self, function, timeout, memory_mb, beyond_inherited: bool = False):
        context = multiprocessing.get_context("fork")
        self.connection, child = context.Pipe()
        self.process = context.Process(target=_serve, daemon=True,
                                       args=(child, function, timeout, memory_mb, os.getpid(), beyond_inherited))
        self.process.start()
        child.close()
        self.task: tuple | None = None
        self.started = 0.0

    def give(self, key, payload, allowance: float | None = None) -> None:
        self.task = (key, payload)
        self.started = time.monotonic()
        self.connection.send((key, payload) if allowance is None else (key, payload, allowance))

    def kill(self) -> None:
        if self.process.is_alive() and self.process.pid is not None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.join(1)
        self.connection.close()

    def stop(self) -> None:
        """Tell the worker to end (an idle one exits), then make sure it has."""
        try:
            self.connection.send(None)
        except (BrokenPipeError, OSError):
            pass
        self.kill()


def run(function: Callable, tasks: Iterable, jobs: int, timeout: float,
        memory_mb: int = DEFAULT_MEMORY_MB) -> Iterator[tuple]:
    """Yield (key, result or Failure) for each (key, payload) of `tasks`, in completion order.

    `function(payload)` runs in a worker with the limits; it must return a
    picklable result and should answer within `timeout` itself.
    """
    pending = deque(tasks)
    workers = [_Worker(function, timeout, memory_mb) for _ in range(max(1, min(jobs, len(pending) or 1)))]
    try:
        while pending or any(w.task for w in workers):
            for index, worker in enumerate(workers):
                if worker.task is None and pending:
                    key, payload = pending.popleft()
                    try:
                        worker.give(key, payload)
                    except (BrokenPipeError, OSError):
                        worker.kill()
                        workers[index] = _Worker(function, timeout, memory_mb)
                        workers[index].give(key, payload)
            busy = [w for w in workers if w.task]
            ready = wait([w.connection for w in busy], timeout=0.05)
            now = time.monotonic()
            for index, worker in enumerate(workers):
                if worker.task is None:
                    continue
                if worker.connection in ready:
                    try:
                        key, result = worker.connection.recv()
                    except (EOFError, OSError):
                        key, result = worker.task[0], Failure(_death(worker))
                        worker.kill()
                        workers[index] = _Worker(function, timeout, memory_mb)
                        yield key, result
                        continue
                    worker.task = None
                    yield key, result
                elif now - worker.started > timeout + GRACE:
                    key = worker.task[0]
                    worker.kill()
                    workers[index] = _Worker(function, timeout, memory_mb)
                    yield key, Failure(f"the check did not finish within {timeout:g} s and was stopped")
    finally:
        for worker in workers:
            worker.stop()


def _death(worker: _Worker) -> str:
    worker.process.join(0.5)
    code = worker.process.exitcode
    if code is not None and code < 0:
        name = signal.Signals(-code).name
        if name == "SIGXCPU":
            return "the check used up its CPU time and was stopped"
        if name == "SIGKILL":
            return "the check was killed (memory or time limit)"
        return f"the check's process died ({name})"
    return "the check's process died (memory limit?)"


def run_one(function: Callable, payload: Any, timeout: float, memory_mb: int = DEFAULT_MEMORY_MB) -> Any:
    """One task with the same limits (what `derive check` uses)."""
    for _, result in run(function, [(0, payload)], jobs=1, timeout=timeout, memory_mb=memory_mb):
        return result
    raise RuntimeError("no result")  # pragma: no cover


class Pool:
    """Long-lived workers with the same limits, for a server: `submit` from any thread, one task a worker.

    A request takes an idle worker, gives it one task and waits for the answer
    with a wall clock; a worker that dies, overruns or was found dead is
    replaced, and that one request gets a `Failure`. Nothing a task does can
    take the pool down: every worker is a separate process.
    """

    def __init__(self, function: Callable, workers: int, timeout: float, memory_mb: int = DEFAULT_MEMORY_MB,
                 wait: float = 60.0):
        self.function, self.timeout, self.memory_mb, self.wait = function, timeout, memory_mb, wait
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self.closed = False
        for _ in range(max(1, workers)):
            self._idle.put(self._fresh())

    def _fresh(self) -> _Worker:
        # a server's threads reserve address space (stacks, malloc arenas) that a worker forked later
        # inherits without using it: the limit is the task's memory beyond what the worker starts with
        worker = _Worker(self.function, self.timeout, self.memory_mb, beyond_inherited=True)
        with self._lock:
            self._all.add(worker)
        return worker

    def _replace(self, worker: _Worker) -> _Worker:
        worker.kill()
        if self.closed:
            return worker  # no new process after close(); the caller's finally lets it go
        with self._lock:
            self._all.discard(worker)
        return self._fresh()

    def pids(self) -> list[int]:
        """The process ids of the workers (for tests and monitoring)."""
        with self._lock:
            return [w.process.pid for w in self._all if w.process.pid is not None]

    def submit(self, payload: Any, timeout: float | None = None) -> Any:
        """Run `function(payload)` in a worker; its result, or a `Failure` saying why there is none.

        `timeout` (at most the pool's own unless larger work is meant, such as a whole derivation) is the
        task's CPU allowance; the wall clock is that plus the grace.
        """
        if self.closed:
            return Failure("the server is shutting down")
        allowance = self.timeout if timeout is None else timeout
        try:
            worker = self._idle.get(timeout=self.wait)
        except queue.Empty:
            return Failure(f"every worker was busy for {self.wait:g} s; try again")
        try:
            if not worker.process.is_alive():
                worker = self._replace(worker)
            try:
                worker.give(0, payload, allowance)
            except (BrokenPipeError, OSError):
                worker = self._replace(worker)
                worker.give(0, payload, allowance)
            if worker.connection.poll(allowance + GRACE):
                try:
                    _, result = worker.connection.recv()
                    worker.task = None
                except (EOFError, OSError):
                    result = Failure(_death(worker))
                    worker = self._replace(worker)
            else:
                worker = self._replace(worker)
                result = Failure(f"the check did not finish within {allowance:g} s and was stopped")
        finally:
            if self.closed:
                worker.kill()
            else:
                self._idle.put(worker)
        return result

    def close(self) -> None:
        """Stop every worker (idle ones at once; busy ones when their task ends)."""
        self.closed = True
        with self._lock:
            workers = list(self._all)
        for worker in workers:
            worker.stop()
