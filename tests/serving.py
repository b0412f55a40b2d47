"""A real `derive serve` process on the loopback address, for the browser test and `benchmarks/serve.py`.

`served(...)` starts `python -m derive.cli serve --port <free port>` with the
options given, waits until the home page answers, yields its URL and process,
and stops it afterwards (SIGTERM, then SIGKILL). The server's output goes to a
log file, not a pipe, so a talkative server never blocks on a full pipe; the
log is shown when the server fails to start.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Server:
    url: str
    process: subprocess.Popen
    log: Path

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/", timeout=2) as response:
            return int(response.status) == 200
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def served(*options: str, env: dict[str, str] | None = None, startup: float = 180.0) -> Iterator[Server]:
    """`derive serve` with `options`, on 127.0.0.1 and a free port, for the duration of the block.

    `startup` is generous: with a cold derivation cache the server derives every problem before it listens.
    """
    port = free_port()
    url = f"http://{HOST}:{port}"
    with tempfile.TemporaryDirectory(prefix="derive-serve-") as folder:
        log = Path(folder) / "server.log"
        with log.open("w") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "derive.cli", "serve", "--host", HOST, "--port", str(port), *options],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env={**os.environ, **(env or {})}, start_new_session=True)
        server = Server(url, process, log)
        try:
            deadline = time.monotonic() + startup
            while not _answers(url):
                if process.poll() is not None:
                    raise RuntimeError(f"derive serve exited {process.returncode}:\n{server.output()}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"derive serve did not answer within {startup:.0f} s:\n{server.output()}")
                time.sleep(0.2)
            yield server
        finally:
            _stop(process)


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM to the server's process group (its check workers too), SIGKILL after 10 s."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
    except ProcessLookupError:
        pass
