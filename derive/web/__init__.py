"""`derive serve`: a web page for students and teachers, and a JSON API, on Starlette and uvicorn.

Starlette rather than FastAPI: it is small (no pydantic, no validation layer
we would not use; the JSON shapes are the CLI's, checked by `derive.api`),
and it gives what the server needs and nothing more: routes, Jinja templates,
static files, ASGI middleware and a test client. uvicorn serves it.

`app` (the routes, the reports held in memory, the worker pool), `guard`
(body limit, rate limit, security headers), `pages` (what the templates
show), `templates/` (Jinja, autoescaped HTML), `static/` (our JavaScript and
CSS, and KaTeX 0.19.1 under its MIT licence in static/katex: no CDN, a classroom server may be offline).
"""
from __future__ import annotations

from .app import Settings, create_app
from .serve import serve

__all__ = ["Settings", "create_app", "serve"]
