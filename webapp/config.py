"""The web app's settings: the ``web`` section of :mod:`fenqi.settings` (read when asked, never at
import time) plus where the static files are.

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

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional

from fenqi.settings import PROJECT_ROOT, Settings, WebSettings, environment, section

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


def web_config(web: WebSettings, production: bool) -> WebConfig:
    """The app's config from the settings' ``web`` section; production disables the demo login."""
    socket_path = web.rasa_socket_path
    return WebConfig(
        host=web.web_host,
        port=web.web_port,
        rasa_url=web.rasa_url.rstrip("/"),
        public_socket_url=web.rasa_public_url.rstrip("/"),
        socket_path=socket_path if socket_path.startswith("/") else "/" + socket_path,
        dev_login=not production,  # fail closed: only FENQI_ENV=development (issue #11)
    )


def config_from_settings(settings: Settings) -> WebConfig:
    return web_config(settings.web, settings.production)


def load_web_config(env: Optional[Mapping[str, str]] = None) -> WebConfig:
    """The config from ``env`` (default: the process environment)."""
    return web_config(section(WebSettings, env), environment(env) == "production")
