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
    web.run_app(create_app(console=settings), host=settings.host, port=settings.port,
                access_log=None, print=lambda *_: None)


if __name__ == "__main__":
    main()
