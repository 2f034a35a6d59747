"""``python -m webapp``: serve the widget demo page on FENQI_WEB_HOST:FENQI_WEB_PORT."""
from __future__ import annotations

import logging
import os

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from fenqi.privacy import install_log_filter
from fenqi.settings import load_settings
from webapp.app import create_app
from webapp.config import config_from_settings


class PathOnlyAccessLogger(AbstractAccessLogger):
    """Access log without query strings: engine.io's ``sid`` there is a bearer credential."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info("%s %s %s %.3fs", request.method, request.path, response.status, time)


def main() -> None:
    os.umask(0o077)  # logs and anything else this process writes: owner only
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_log_filter()  # tokens, OpenIDs and personal numbers masked in this process' log too (#21)
    settings = load_settings()  # read once, passed down
    config = config_from_settings(settings)
    mode = "demo login ON (development only)" if config.dev_login else "demo login OFF (production)"
    print(f"分期助手 widget on http://{config.host}:{config.port}  ->  Rasa {config.rasa_url}  [{mode}]",
          flush=True)
    # handler_cancellation: a page that went away (closed tab, lost network) frees its relay slot at
    # once; otherwise its long-poll holds one of the client's slots until Rasa answers it (~25 s);
    # shutdown_timeout: a stop waits 3 s for open relays, not aiohttp's 60 s
    web.run_app(create_app(config, lambda: settings), host=config.host, port=config.port, print=None,
                access_log_class=PathOnlyAccessLogger, handler_cancellation=True, shutdown_timeout=3)


if __name__ == "__main__":
    main()
