"""Configuration pieces of the production mode: nginx config, ports from the environment,
generated secrets, the endpoints file Rasa reads."""
from __future__ import annotations

import json
import stat
import subprocess

import pytest
from rasa.core.lock_store import LockStore
from rasa.utils.endpoints import read_endpoint_config

from deploy.cluster import ENDPOINTS, Ports, load_or_create_secrets
from deploy.services import _which, render_nginx_conf
from fenqi.resilience import BALANCER_READ_TIMEOUT_S, BUSY_TEXT, SHOPPER_WAIT_LIMIT_S

pytestmark = pytest.mark.prod


def test_rendered_nginx_conf_is_valid_and_lists_every_instance(prod_binaries, tmp_path):
    for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / "tmp" / sub).mkdir(parents=True)
    text = render_nginx_conf(tmp_path, 18000, [15105, 15106, 15107], 18055, [15155])
    assert "{{" not in text
    upstream_rasa = text.split("upstream rasa {")[1].split("}")[0]
    assert [p for p in (15105, 15106, 15107) if f"127.0.0.1:{p}" in upstream_rasa] == [15105, 15106, 15107]
    assert "127.0.0.1:15155" in text.split("upstream actions {")[1].split("}")[0]
    public, actions = text.split("# The action servers")
    retries = [line.strip() for line in public.splitlines() if line.strip().startswith("proxy_next_upstream ")]
    assert retries and not any("non_idempotent" in line for line in retries)  # no shopper POST is replayed
    # an action call cut by a dying action server is retried on another (actions only read)
    assert "proxy_next_upstream error timeout http_502 http_503 non_idempotent;" in actions
    # no instance answered: the REST shopper gets the busy message as JSON, never a raw 5xx
    rest = public.split("location = /webhooks/rest/webhook {")[1].split("location @rest_busy")[0]
    assert "error_page 500 502 503 504 = @rest_busy;" in rest and "proxy_intercept_errors on;" in rest
    busy = public.split("location @rest_busy {")[1]
    body = json.loads(busy.split("return 200 '")[1].split("';")[0])
    assert body == [{"recipient_id": "", "text": BUSY_TEXT}]
    assert f"proxy_read_timeout {int(BALANCER_READ_TIMEOUT_S)}s;" in public
    assert BALANCER_READ_TIMEOUT_S < SHOPPER_WAIT_LIMIT_S
    conf = tmp_path / "nginx.conf"
    conf.write_text(text, encoding="utf-8")
    check = subprocess.run([_which("nginx"), "-t", "-p", str(tmp_path), "-c", str(conf)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


def test_ports_from_environment():
    ports = Ports.from_env({"RASA_INSTANCES": "3", "RASA_BASE_PORT": "6000", "ACTION_INSTANCES": "1",
                            "PROD_PORT": "9000"})
    assert ports.rasa == (6000, 6001, 6002) and ports.actions == (5155,) and ports.balancer == 9000


def test_secrets_generated_once_private_and_kept(tmp_path, monkeypatch):
    for key in ("PG_SUPERUSER_PASSWORD", "DB_PASSWORD", "RASA_API_TOKEN", "FENQI_JWT_SECRET"):
        monkeypatch.delenv(key, raising=False)
    path = tmp_path / "secrets.env"
    first = load_or_create_secrets(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first["FENQI_JWT_SECRET"]) >= 32 and len(set(first.values())) == 4
    assert load_or_create_secrets(path) == first


def test_endpoints_file_takes_everything_from_the_environment(monkeypatch):
    env = {"ACTION_SERVER_URL": "http://127.0.0.1:1/webhook", "TRACKER_DB_HOST": "db.internal",
           "TRACKER_DB_PORT": "6543", "TRACKER_DB_NAME": "t", "TRACKER_DB_USER": "u",
           "TRACKER_DB_PASSWORD": "p", "REDIS_HOST": "redis.internal", "REDIS_PORT": "6390",
           "REDIS_DB": "2", "REDIS_KEY_PREFIX": "fenqi"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    tracker = read_endpoint_config(str(ENDPOINTS), "tracker_store")
    assert (tracker.type, tracker.url, tracker.kwargs["dialect"], tracker.kwargs["port"],
            tracker.kwargs["db"], tracker.kwargs["password"]) == (
        "deploy.tracker_store.WindowedSQLTrackerStore", "db.internal", "postgresql", "6543", "t", "p")
    lock = read_endpoint_config(str(ENDPOINTS), "lock_store")
    store = LockStore.create(lock)  # redis-py connects lazily: nothing is contacted here
    assert type(store).__name__ == "AtomicRedisLockStore" and store.key_prefix == "fenqi:lock:"
    assert store.red.connection_pool.connection_kwargs["host"] == "redis.internal"
    assert read_endpoint_config(str(ENDPOINTS), "action_endpoint").url == env["ACTION_SERVER_URL"]


def test_postgres_files_go_where_postgres_can_enter(tmp_path):
    """make run-prod from a private checkout (e.g. under /root): the cluster moves to /var/tmp."""
    import pwd
    from pathlib import Path

    from deploy.services import can_enter, postgres_home
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("no postgres user")
    private = tmp_path / "private"
    (private / "checkout").mkdir(parents=True)
    private.chmod(0o700)
    root = private / "checkout" / "var" / "prod"
    assert not can_enter(root, "postgres")
    moved = postgres_home(root, "postgres")
    assert moved.parent == Path("/var/tmp") and moved.name.startswith("fenqi-")
    assert postgres_home(root, "postgres") == moved  # stable per checkout
    assert postgres_home(root, None) == root  # not root: the cluster runs as us, in place
