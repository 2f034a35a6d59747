"""``python -m webapp``: serve the widget demo page on FENQI_WEB_HOST:FENQI_WEB_PORT."""
from __future__ import annotations

import logging

from aiohttp import web

from fenqi.settings import load_settings
from webapp.app import create_app
from webapp.config import config_from_settings


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = load_settings()  # read once, passed down
    config = config_from_settings(settings)
    mode = "demo login ON (development only)" if config.dev_login else "demo login OFF (production)"
    print(f"分期助手 widget on http://{config.host}:{config.port}  ->  Rasa {config.rasa_url}  [{mode}]",
          flush=True)
    web.run_app(create_app(config, lambda: settings), host=config.host, port=config.port, print=None)


if __name__ == "__main__":
    main()
