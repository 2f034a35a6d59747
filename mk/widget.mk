# In-app chat widget (docs/widget.md). Included by the Makefile (mk/*.mk).
#   make widget-deps   socket.io-client from the npm registry (npm ci), Debian's Chromium + a CJK font
#   make test-browser  headless-Chromium tests of the widget against the real bot stack
#   make run-webapp    only the widget web app (expects a Rasa server at FENQI_RASA_URL)
.PHONY: widget-deps test-browser test-widget run-webapp

WIDGET_CLIENT := node_modules/socket.io-client/dist/socket.io.min.js
CHROMIUM ?= /usr/bin/chromium

widget-deps: $(WIDGET_CLIENT)
	@if [ ! -x "$(CHROMIUM)" ] || ! fc-list :lang=zh 2>/dev/null | grep -q .; then \
	  echo ">> installing Debian's chromium and a Chinese font (apt, needs root)"; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-wqy-microhei; \
	fi

$(WIDGET_CLIENT): package.json package-lock.json
	@command -v npm >/dev/null || { echo ">> installing npm (apt, needs root)"; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q npm; }
	@echo ">> npm ci (socket.io-client, pinned in package-lock.json)"
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Unit tests of the channel and the web app: no browser, no trained model.
test-widget: $(VENV)/.installed $(WIDGET_CLIENT)
	@$(BIN)/python -m pytest -q $(wildcard tests/channels/test_secure_socketio*.py) tests/webapp

test-browser: widget-deps $(VENV)/.installed $(MODEL)
	@$(BIN)/python -m pytest -q tests/browser

run-webapp: $(VENV)/.installed $(WIDGET_CLIENT)
	@$(BIN)/python -m webapp
