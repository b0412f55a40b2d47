"""What a public classroom server puts between a request and a check.

A body over the limit is refused from its Content-Length, or as soon as the
stream passes the limit, never read whole; a client (by address) that sends
faster than its token bucket allows gets 429; every response carries a
Content-Security-Policy that lets the page load only our own scripts, styles
and fonts (KaTeX sets its styles through the DOM, which a CSP allows), so even
an answer that slipped into a page unescaped could not run.
"""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY = 64 * 1024

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; font-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
HEADERS = [(b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
           (b"referrer-policy", b"no-referrer"), (b"x-frame-options", b"DENY")]


class HTTPProblem(Exception):
    """A request refused: the HTTP status and a one-line message (sent as JSON `{"error": message}`)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


class SecurityHeaders:
    """ASGI middleware: the CSP and its companions on every response."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)


async def read_json(request: Request, limit: int = MAX_BODY) -> dict:
    """The request's JSON object; 413 past `limit` bytes (refused before reading it all), 400 otherwise bad."""
    length = request.headers.get("content-length")
    if length is not None:
        if not length.strip().isdigit():
            raise HTTPProblem(400, "the Content-Length header is not a number")
        if int(length) > limit:
            raise HTTPProblem(413, f"the request body is larger than {limit // 1024} KB")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise HTTPProblem(413, f"the request body is larger than {limit // 1024} KB")
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise HTTPProblem(400, f"the request body is not UTF-8 (byte {exc.start})") from None
    except ValueError as exc:
        raise HTTPProblem(400, f"the request body is not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise HTTPProblem(400, "the request body must be a JSON object")
    return data


def text_field(data: dict, name: str) -> str:
    """A string field of a JSON body (400 when missing or not a string)."""
    value = data.get(name)
    if not isinstance(value, str):
        raise HTTPProblem(400, f"the field {name!r} must be a string" if name in data else
                          f"the field {name!r} is missing")
    return value


def optional_text(data: dict, name: str, default: str | None = None) -> str | None:
    """A string field of a JSON body that may be missing or null (`default` then)."""
    return default if data.get(name) is None else text_field(data, name)


@dataclass
class RateLimit:
    """A token bucket per client: `rate` requests a second on average, bursts of `burst`.

    In memory, for one server process; the buckets of clients idle long
    enough to be full again are forgotten when there are many.
    """

    rate: float = 10.0
    burst: float = 60.0
    clock: object = time.monotonic
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def allow(self, client: str) -> bool:
        """Take one token of `client`'s bucket; False when it is empty."""
        now = self.clock()  # type: ignore[operator]
        with self._lock:
            tokens, then = self._buckets.get(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - then) * self.rate)
            if len(self._buckets) > 10_000:
                self._forget(now)
            if tokens < 1:
                self._buckets[client] = (tokens, now)
                return False
            self._buckets[client] = (tokens - 1, now)
            return True

    def _forget(self, now: float) -> None:
        full = self.burst / self.rate if self.rate > 0 else float("inf")
        for key, (_, then) in list(self._buckets.items()):
            if now - then > full:
                del self._buckets[key]

    def check(self, request: Request) -> None:
        """429 when the request's client has sent too many."""
        client = request.client.host if request.client else "unknown"
        if not self.allow(client):
            raise HTTPProblem(429, "too many requests from your address; wait a few seconds")
