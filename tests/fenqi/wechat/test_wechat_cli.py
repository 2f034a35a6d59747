"""``python -m fenqi.wechat`` against a real SQLite file."""
import os
import subprocess
import sys
from pathlib import Path

from fenqi.db.engine import session_scope
from fenqi.wechat.binding import bind_openid, user_for_openid
from fenqi.wechat.cli import main

ROOT = Path(__file__).resolve().parents[3]


def use_db(monkeypatch, tmp_path, sessions_url):
    monkeypatch.setenv("FENQI_DATABASE_URL", sessions_url)
    monkeypatch.setenv("FENQI_VAR_DIR", str(tmp_path / "var"))


def test_code_mints_a_code_that_binds(sessions, tmp_path, monkeypatch, capsys):
    url = str(sessions.kw["bind"].url)
    use_db(monkeypatch, tmp_path, url)
    assert main(["code", "u1001", "--ttl", "120"]) == 0
    code = capsys.readouterr().out.strip()
    with session_scope(sessions) as session:
        assert bind_openid(session, "oCli", code).ok
        assert user_for_openid(session, "oCli") == "u1001"
    assert main(["unbind", "oCli"]) == 0
    assert capsys.readouterr().out.strip() == "unbound"
    with session_scope(sessions) as session:
        assert user_for_openid(session, "oCli") is None


def test_unknown_user_and_missing_tables_are_one_line_errors(sessions, tmp_path, monkeypatch, capsys):
    use_db(monkeypatch, tmp_path, str(sessions.kw["bind"].url))
    assert main(["code", "nobody"]) == 2
    assert "unknown user" in capsys.readouterr().err
    use_db(monkeypatch, tmp_path, f"sqlite:///{tmp_path / 'empty.db'}")
    assert main(["code", "u1001"]) == 2
    assert "db init" in capsys.readouterr().err


def test_module_entry_point(sessions, tmp_path):
    env = dict(os.environ, FENQI_DATABASE_URL=str(sessions.kw["bind"].url),
               FENQI_VAR_DIR=str(tmp_path / "var"))
    done = subprocess.run([sys.executable, "-m", "fenqi.wechat", "code", "u1002"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.strip()) == 10 and done.stdout.strip().isalnum() and "绑定" in done.stderr
