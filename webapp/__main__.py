"""``python -m webapp``: serve the widget demo page on FENQI_WEB_HOST:FENQI_WEB_PORT."""
from __future__ import annotations

import logging

from aiohttp import web

from webapp.app import create_app
from webapp.config import load_web_config


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = load_web_config()
    mode = "demo login ON (development only)" if config.dev_login else "demo login OFF (production)"
    print(f"分期助手 widget on http://{config.host}:{config.port}  ->  Rasa {config.rasa_url}  [{mode}]",
          flush=True)
    web.run_app(create_app(config), host=config.host, port=config.port, print=None)


if __name__ == "__main__":
    main()
