"""The production supervisor's own state is owner-only (logs, secrets, Redis); the root is only
traversable (never listable) when PostgreSQL and nginx's workers run as other users; the PostgreSQL
data directory is left alone."""
import stat

from deploy.cluster import load_or_create_secrets, private_dirs


def mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_logs_redis_and_secrets_are_owner_only_and_an_older_run_is_tightened(tmp_path):
    root = tmp_path / "prod"
    (root / "log").mkdir(parents=True)
    old_log = root / "log" / "rasa-1.log"
    old_log.write_text("x")
    old_log.chmod(0o644)
    (root / "log").chmod(0o755)
    pg = root / "pg"
    pg.mkdir(mode=0o700)
    private_dirs(root, shared=False)
    load_or_create_secrets(root / "secrets.env")
    assert [mode(root / d) for d in ("", "log", "redis", "nginx")] == [0o700] * 4
    assert mode(old_log) == 0o600 and mode(root / "secrets.env") == 0o600
    assert mode(pg) == 0o700  # left to PostgreSQL


def test_shared_with_other_service_users_the_root_is_traversable_only(tmp_path):
    root = tmp_path / "prod"
    private_dirs(root, shared=True)
    assert mode(root) == 0o711 and mode(root / "nginx") == 0o711
    assert mode(root / "log") == 0o700 and mode(root / "redis") == 0o700
