"""The web app's settings, read from the environment when asked (never at import time).

``FENQI_WEB_HOST``         address to listen on (default ``localhost``)
``FENQI_WEB_PORT``         port to listen on (default 8080)
``FENQI_RASA_URL``         the Rasa server (default http://localhost:5005); the page's socket.io
                           traffic is relayed there through this app's own origin
``FENQI_RASA_PUBLIC_URL``  optional: let the browser connect to this Rasa URL directly instead
                           of through the relay (Rasa must then allow the page's origin: --cors)
``FENQI_RASA_SOCKET_PATH`` socket.io path of the ``secure_socketio`` channel (default /socket.io)
``FENQI_ENV``              only ``development`` enables the demo login (unset = production)
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional

from fenqi.settings import PROJECT_ROOT, ConfigurationError, is_development

STATIC_DIR = Path(__file__).resolve().parent / "static"
SOCKET_IO_CLIENT = PROJECT_ROOT / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"


@dataclass(frozen=True)
class WebConfig:
    host: str = "localhost"
    port: int = 8080
    rasa_url: str = "http://localhost:5005"
    public_socket_url: str = ""  # empty: the browser uses this app's origin (relay)
    socket_path: str = "/socket.io"
    dev_login: bool = True
    socket_io_client: Path = SOCKET_IO_CLIENT


def load_web_config(env: Optional[Mapping[str, str]] = None) -> WebConfig:
    """Settings from ``env`` (default: the process environment)."""
    env = os.environ if env is None else env
    try:
        port = int(env.get("FENQI_WEB_PORT", "8080"))
    except ValueError as exc:
        raise ConfigurationError("FENQI_WEB_PORT must be a port number") from exc
    if not 0 < port < 65536:
        raise ConfigurationError("FENQI_WEB_PORT must be between 1 and 65535")
    socket_path = env.get("FENQI_RASA_SOCKET_PATH", "/socket.io")
    return WebConfig(
        host=env.get("FENQI_WEB_HOST", "localhost"),
        port=port,
        rasa_url=env.get("FENQI_RASA_URL", "http://localhost:5005").rstrip("/"),
        public_socket_url=env.get("FENQI_RASA_PUBLIC_URL", "").rstrip("/"),
        socket_path=socket_path if socket_path.startswith("/") else "/" + socket_path,
        dev_login=is_development(env),  # fail closed (issue #11)
    )
