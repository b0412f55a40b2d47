"""Running the app with uvicorn on a host and port, saying where it listens."""
from __future__ import annotations

import socket
from collections.abc import Callable

from .app import Settings, create_app


def check_address(host: str, port: int) -> None:
    """Raise OSError (address in use, no such address) before any work when `host:port` cannot be bound."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        probe.bind((host, port))


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000,
          say: Callable[[str], None] = print) -> None:
    """Derive the problems, fork the workers, then serve on http://host:port/ until interrupted."""
    import uvicorn

    check_address(host, port)
    app = create_app(settings)
    shown = f"[{host}]" if ":" in host else host
    solutions = "" if settings.solutions else ", no solutions"
    say(f"derive serve: http://{shown}:{port}/ ({len(app.state.server.reports)} problems, "
        f"{settings.workers} worker{'s' if settings.workers != 1 else ''}{solutions}); Ctrl-C stops it")
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)
