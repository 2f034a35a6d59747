# Production mode (docs/deploy.md): PostgreSQL + Redis + 2 Rasa + 2 action servers behind nginx.
#   make run-prod     start it (installs postgresql/redis-server/nginx via apt when missing)
#   make prod-deps    only install those Debian packages
#   make test-prod    failover/locking and migration tests on real PostgreSQL/Redis/nginx
#   make bench        what shoppers feel, both modes -> docs/benchmarks.md (BENCH_ARGS=--quick)
#   make migrate      alembic upgrade head on FENQI_DATABASE_URL
.PHONY: run-prod prod-deps test-prod bench migrate

PROD_DEPS_STAMP := /usr/sbin/nginx

# The one check for (and apt install of) PostgreSQL, Redis and nginx: deploy/services.py.
prod-deps: $(VENV)/.installed
	@$(BIN)/python -m deploy --install-only

run-prod: setup $(MODEL) prod-deps
	@scripts/run_prod.sh

migrate: $(VENV)/.installed
	@$(BIN)/python -m fenqi.db.migrations upgrade

test-prod: $(VENV)/.installed $(SPACY_MODEL) $(MODEL) prod-deps
	@$(BIN)/python -m pytest -q -p no:cacheprovider tests/prod

# BENCH_ARGS=--quick: embedded only, a few minutes; the analysis in docs/benchmarks-analysis.md
# is appended to the generated figures.
bench: setup $(MODEL) prod-deps
	@$(BIN)/python scripts/bench.py --profile --notes docs/benchmarks-analysis.md --out docs/benchmarks.md $(BENCH_ARGS)

# The lead's console pages on PostgreSQL with >= 1 million tracker events (docs/analytics.md):
# BENCH_ANALYTICS_ARGS="--days 60 --per-day 1500 --repeat 5" (the defaults).
.PHONY: bench-analytics
bench-analytics: setup prod-deps
	@$(BIN)/python scripts/bench_analytics.py $(BENCH_ANALYTICS_ARGS)
