"""`derive serve`: the pages and the JSON API, one Starlette app.

The app derives every problem once, when it is made (from the on-disk cache
when it is warm), and keeps the reports in memory: a request never writes to
disk. Every check, equivalence, derivation and preview runs through
`derive.api` in a `Pool` of isolated workers (`derive.grading.isolate`, the
limits of `derive grade`), forked once the specs and the checker's points are
loaded; a worker that dies or overruns is replaced and its one request gets
`undecided`. The JSON answers have the shapes of the CLI's `--json`.
"""
from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from .. import api
from ..errors import DeriveError, UnknownProblem
from ..grading.isolate import Pool
from ..limits import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT
from ..problem import course, library
from .guard import MAX_BODY, HTTPProblem, RateLimit, SecurityHeaders, optional_text, read_json, text_field
from .pages import STATIC, environment, problem_view, sheet


@dataclass
class Settings:
    """How a server runs: its course folders, solutions or not, workers, limits and rate limit."""

    folders: Sequence[Path | str] = ()
    solutions: bool = True
    workers: int = 2
    timeout: float = DEFAULT_TIMEOUT
    memory_mb: int = DEFAULT_MEMORY_MB
    rate: float = 10.0  # requests a second per client, on average
    burst: float = 60.0  # and at once
    max_body: int = MAX_BODY


@dataclass
class Server:
    """The state of a running app: the settings, the reports in course order, the pool."""

    settings: Settings
    reports: dict[str, dict]
    errors: dict[str, str]
    order: list[str]
    pool: Pool
    limit: RateLimit
    listing: list[dict] = field(default_factory=list)

    def report(self, problem_id: str) -> dict:
        """The report of a problem (404 for an unknown one, 400 for one that does not derive)."""
        if problem_id in self.errors:
            raise HTTPProblem(400, self.errors[problem_id])
        if problem_id not in self.reports:
            try:
                library.header(problem_id)
            except DeriveError as exc:
                raise HTTPProblem(404, str(exc)) from None
            raise HTTPProblem(404, f"unknown problem {problem_id!r}")
        return self.reports[problem_id]


def load(settings: Settings) -> tuple[dict[str, dict], dict[str, str], list[str], list[dict]]:
    """Every problem's report (derived or from the cache), the problems that fail, the course order."""
    listing = api.problems(list(settings.folders) or None)  # no folders: the library in use
    reports, errors = {}, {}
    for entry in listing:
        try:
            reports[entry["id"]] = api.derive_part(entry["id"])
        except DeriveError as exc:
            errors[entry["id"]] = str(exc)
    from ..checking import warm

    warm(f"{p['id']}/{part}" for p in listing if p["id"] in reports for part in p["parts"])
    return reports, errors, course.ordered([p["id"] for p in listing]), listing


def create_app(settings: Settings | None = None) -> Starlette:
    """The ASGI app of `derive serve`; its worker pool stops when the app shuts down."""
    settings = settings or Settings()
    reports, errors, order, listing = load(settings)
    pool = Pool(api.work, settings.workers, settings.timeout, settings.memory_mb)
    server = Server(settings, reports, errors, order, pool, RateLimit(settings.rate, settings.burst), listing)
    templates = Jinja2Templates(env=environment())
    # checks wait for a worker in threads of their own: a flood of them never takes the threads that serve
    # pages and static files
    waiting = anyio.CapacityLimiter(max(8, 4 * settings.workers))

    async def offload(function: Callable, *args: Any, **kwargs: Any) -> Any:
        return await anyio.to_thread.run_sync(functools.partial(function, *args, **kwargs), limiter=waiting)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        try:
            yield
        finally:
            pool.close()

    def page(request: Request, name: str, status: int = 200, **context: Any) -> Response:
        return templates.TemplateResponse(request, name, {"solutions": settings.solutions, **context},
                                          status_code=status)

    async def index(request: Request) -> Response:
        shown = [problem_view(reports[p], settings.solutions) for p in order if p in reports]
        broken = [(p, errors[p]) for p in order if p in errors]
        return page(request, "index.html", problems=shown, broken=broken)

    async def problem_page(request: Request) -> Response:
        problem_id = request.path_params["problem_id"]
        try:
            report = server.report(problem_id)
        except HTTPProblem as exc:
            return page(request, "error.html", exc.status, message=exc.message)
        return page(request, "problem.html", problem=problem_view(report, settings.solutions))

    async def equiv_page(request: Request) -> Response:
        return page(request, "equiv.html")

    async def list_problems(request: Request) -> Response:
        server.limit.check(request)
        return JSONResponse(listing)

    def _part(request: Request, report: dict) -> str | None:
        part = request.query_params.get("part")
        if part is not None and part not in [p["id"] for p in report["parts"]]:
            raise HTTPProblem(404, library.unknown_message(f"part of {report['id']}", part,
                                                           [p["id"] for p in report["parts"]]))
        return part

    async def get_problem(request: Request) -> Response:
        server.limit.check(request)
        report = server.report(request.path_params["problem_id"])
        chosen = api.select_part(report, _part(request, report))
        return JSONResponse(chosen if settings.solutions else sheet(chosen))

    async def get_solution(request: Request) -> Response:
        server.limit.check(request)
        report = server.report(request.path_params["problem_id"])
        part = _part(request, report)
        if not settings.solutions:
            raise HTTPProblem(403, "this server gives no solutions (it runs with --no-solutions)")
        return JSONResponse(api.select_part(report, part))

    async def body(request: Request) -> dict:
        server.limit.check(request)
        return await read_json(request, settings.max_body)

    def fmt(data: dict) -> str:
        return optional_text(data, "format") or "auto"

    def assumptions(data: dict) -> list[str]:
        value = data.get("assume", [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise HTTPProblem(400, "the field 'assume' must be a list of strings such as \"x>0\"")
        return value

    def target(data: dict) -> str:
        if "target" in data or "problem" not in data:
            return text_field(data, "target")
        problem, part = text_field(data, "problem"), optional_text(data, "part")
        return f"{problem}/{part}" if part else str(problem)

    async def parse(request: Request) -> Response:
        data = await body(request)
        text = text_field(data, "text")
        goal = target(data) if data.get("target") is not None or "problem" in data else None  # None: free
        return JSONResponse(await offload(api.preview, text, goal, format=fmt(data),
                                          assume=assumptions(data), pool=pool))

    async def check(request: Request) -> Response:
        data = await body(request)
        goal, answer = target(data), text_field(data, "answer")
        return JSONResponse(hide_reference(await offload(api.check, goal, answer, format=fmt(data),
                                                         timeout=settings.timeout, pool=pool)))

    async def equiv(request: Request) -> Response:
        data = await body(request)
        first, second = text_field(data, "first"), text_field(data, "second")
        return JSONResponse(await offload(api.equiv, first, second, assume=assumptions(data),
                                          format=fmt(data), timeout=settings.timeout, pool=pool))

    async def steps(request: Request) -> Response:
        data = await body(request)
        goal, text = target(data), text_field(data, "text")
        lines = optional_text(data, "lines")
        report = await offload(api.steps, goal, text, lines=lines, timeout=settings.timeout, pool=pool)
        if isinstance(report.get("final"), dict):
            report["final"] = hide_reference(report["final"])
        return JSONResponse(report)

    def hide_reference(result: dict) -> dict:
        """Without solutions, a check's JSON does not give the reference answer away."""
        if not settings.solutions and "reference_latex" in result:
            result = {**result, "reference_latex": None}
        return result

    def guarded(handler):
        async def run(request: Request) -> Response:
            try:
                return await handler(request)
            except HTTPProblem as exc:
                return JSONResponse({"error": exc.message}, status_code=exc.status)
            except UnknownProblem as exc:
                return JSONResponse({"error": str(exc)}, status_code=404)
            except DeriveError as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
        return run

    async def not_found(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 500)
        message = getattr(exc, "detail", None) or "not found"
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": message}, status_code=status)
        return HTMLResponse(environment().get_template("error.html").render(message=message, solutions=False),
                            status_code=status)

    routes = [
        Route("/", index),
        Route("/problems/{problem_id}", problem_page),
        Route("/equiv", equiv_page),
        Route("/api/problems", guarded(list_problems)),
        Route("/api/problems/{problem_id}", guarded(get_problem)),
        Route("/api/problems/{problem_id}/solution", guarded(get_solution)),
        Route("/api/parse", guarded(parse), methods=["POST"]),
        Route("/api/check", guarded(check), methods=["POST"]),
        Route("/api/equiv", guarded(equiv), methods=["POST"]),
        Route("/api/steps", guarded(steps), methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(SecurityHeaders)],
                    exception_handlers={HTTPException: not_found}, lifespan=lifespan)
    app.state.server = server
    return app
