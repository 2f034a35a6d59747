"""``python -m fenqi`` run as a real subprocess against a SQLite file under tmp_path."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fenqi.identity import IdentityError, verify_token

ROOT = Path(__file__).resolve().parents[2]
SECRET = "test-secret-for-cli-0123456789abcdef"


@pytest.fixture
def env(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("FENQI_")}
    env.update(FENQI_DATABASE_URL=f"sqlite:///{tmp_path / 'db' / 'fenqi.db'}", FENQI_VAR_DIR=str(tmp_path / "var"),
               FENQI_JWT_SECRET=SECRET, SQLALCHEMY_SILENCE_UBER_WARNING="1", FENQI_ENV="development")
    return env


def run(env, *args):
    return subprocess.run([sys.executable, "-m", "fenqi", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)


def assert_one_line_error(result, *fragments):
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fenqi: error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_db_init_seed_and_list(env):
    init = run(env, "db", "init")
    assert init.returncode == 0 and "database ready" in init.stdout
    empty = run(env, "users", "list")
    assert empty.returncode == 0 and "no users yet" in empty.stdout
    seed = run(env, "db", "seed-demo")
    assert seed.returncode == 0, seed.stderr
    assert "15 users, 8 products, 5 orders" in seed.stdout
    listing = run(env, "users", "list")
    rows = [line.split("\t") for line in listing.stdout.splitlines()]
    assert len(rows) == 15
    assert ["demo_ok", "张伟", "北京", "A", "active"] in rows
    assert ["demo_frozen", "陈静", "杭州", "B", "frozen"] in rows


def test_accounts_load_prints_a_summary(env, tmp_path):
    path = tmp_path / "accounts.yml"
    path.write_text("""\
products:
  - {sku: phone, name: Phone, price: 3999}
users:
  - {user_id: a, name: 甲, region: 北京, credit_rating: A, cart: [{sku: phone}]}
  - {user_id: b, name: 乙, region: 上海, credit_rating: B}
orders:
  - {order_id: o1, user_id: a, product_name: Phone, total: 3999, periods: 3, created: today, first_due: today+30d}
""", encoding="utf-8")
    result = run(env, "accounts", "load", str(path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"loaded 2 users, 1 products, 1 orders (3 bills) from {path}"
    assert [line.split("\t")[0] for line in run(env, "users", "list").stdout.splitlines()] == ["a", "b"]


def test_bad_file_is_one_line_and_changes_nothing(env, tmp_path):
    assert run(env, "db", "seed-demo").returncode == 0
    path = tmp_path / "bad.yml"
    path.write_text("users:\n  - {user_id: demo_ok, name: 改, region: 北京, credit_rating: A}\n"
                    "  - {user_id: x, name: 乙, region: 上海, credit_rating: F}\n", encoding="utf-8")
    result = run(env, "accounts", "load", str(path))
    assert_one_line_error(result, "bad.yml: line 3: users[1].credit_rating: must be one of A, B, C, D, E, got 'F'")
    rows = run(env, "users", "list").stdout.splitlines()
    assert len(rows) == 15 and any(r.startswith("demo_ok\t张伟\t") for r in rows)


def test_missing_file(env, tmp_path):
    assert_one_line_error(run(env, "accounts", "load", str(tmp_path / "nope.yml")), "nope.yml", "cannot read file")


def test_token_verifies_with_the_configured_secret(env):
    assert run(env, "db", "seed-demo").returncode == 0
    result = run(env, "token", "demo_ok", "--ttl", "120")
    assert result.returncode == 0, result.stderr
    identity = verify_token(result.stdout.strip(), SECRET)
    assert identity.user_id == "demo_ok"
    with pytest.raises(IdentityError):
        verify_token(result.stdout.strip(), SECRET + "x")


def test_token_ttl_and_dev_secret(env, tmp_path):
    del env["FENQI_JWT_SECRET"]  # falls back to the local dev secret under FENQI_VAR_DIR
    token = run(env, "token", "someone", "--allow-unknown", "--ttl", "90").stdout.strip()
    secret = (tmp_path / "var" / "dev-jwt-secret").read_text(encoding="utf-8").strip()
    identity = verify_token(token, secret)
    assert identity.user_id == "someone"
    import jwt
    claims = jwt.decode(token, secret, algorithms=["HS256"], options={"verify_iss": False})
    assert claims["exp"] - claims["iat"] == 90


def test_token_refuses_unknown_user(env):
    assert run(env, "db", "init").returncode == 0
    result = run(env, "token", "ghost")
    assert_one_line_error(result, "unknown user 'ghost'", "--allow-unknown")
    assert result.stdout == ""


def test_uninitialised_database(env):
    assert_one_line_error(run(env, "users", "list"), "no account tables", "db init")


@pytest.mark.parametrize("make_url", [
    lambda tmp: f"sqlite:///{tmp}",  # a directory, not a database file
    lambda tmp: f"sqlite:///{tmp / 'afile' / 'x.db'}",  # parent is a regular file
    lambda tmp: "not a url",
])
def test_unusable_database(env, tmp_path, make_url):
    (tmp_path / "afile").write_text("x")
    env["FENQI_DATABASE_URL"] = make_url(tmp_path)
    for args in (("db", "init"), ("users", "list"), ("token", "demo_ok")):
        assert_one_line_error(run(env, *args))


def test_production_without_secret_is_a_clean_error(env):
    del env["FENQI_JWT_SECRET"]
    env["FENQI_ENV"] = "production"
    assert_one_line_error(run(env, "token", "x", "--allow-unknown"), "FENQI_JWT_SECRET")
