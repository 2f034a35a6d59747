"""``python -m console``: the agent console on FENQI_CONSOLE_HOST:FENQI_CONSOLE_PORT."""
from __future__ import annotations

import logging

from aiohttp import web

from console.app import create_app
from fenqi.privacy import install_log_filter
from fenqi.settings import load_console_settings


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_log_filter()
    settings = load_console_settings()
    # shutdown_timeout: on a stop, open live connections (the agents' socket.io) are not waited
    # for past 3 s (aiohttp waits 60 s); the pages reconnect to the restarted console
    web.run_app(create_app(console=settings), host=settings.host, port=settings.port,
                access_log=None, print=lambda *_: None, shutdown_timeout=3)


if __name__ == "__main__":
    main()
