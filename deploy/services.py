"""PostgreSQL, Redis and nginx as plain child processes: loopback only, data in a chosen directory.

Used by ``scripts/run_prod.sh`` (via ``python -m deploy``), the failover tests and the benchmark.
Nothing here talks to the system's service manager; everything listens on 127.0.0.1.
"""
from __future__ import annotations

import glob
import grp
import hashlib
import json
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Set

APT_PACKAGES = {"postgres": "postgresql", "redis-server": "redis-server", "nginx": "nginx"}
TEMPLATE = Path(__file__).resolve().parent / "nginx.conf.template"


class ServiceError(RuntimeError):
    """A service could not be installed, started or reached."""


def is_root() -> bool:
    return os.geteuid() == 0


def pg_bindir() -> Optional[Path]:
    """Directory with Debian's ``initdb``/``pg_ctl`` (newest version), or of those on PATH."""
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]),
                            reverse=True):
        if Path(candidate, "pg_ctl").exists() and Path(candidate, "initdb").exists():
            return Path(candidate)
    found = shutil.which("pg_ctl")
    return Path(found).parent if found and shutil.which("initdb") else None


def missing_binaries() -> List[str]:
    """Names among postgres / redis-server / nginx that cannot be found."""
    missing = [] if pg_bindir() else ["postgres"]
    missing += [name for name in ("redis-server", "nginx") if not _which(name)]
    return missing


def _which(name: str) -> Optional[str]:
    return shutil.which(name) or next((p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}")
                                       if os.access(p, os.X_OK)), None)


def install_missing(log=print) -> List[str]:
    """apt-get the Debian packages of missing binaries (root only); returns what is still missing."""
    missing = missing_binaries()
    if not missing:
        return []
    if not is_root() or not shutil.which("apt-get"):
        return missing
    packages = [APT_PACKAGES[name] for name in missing]
    log(f">> installing {' '.join(packages)} (apt-get; once)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-q"], check=False, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages],
                   check=False, env=env, stdout=subprocess.DEVNULL)
    return missing_binaries()


RUNTIME_ENV_FILE = Path(__file__).resolve().parent / "runtime.env"


def runtime_env() -> Dict[str, str]:
    """The environment every process of the project runs with (``deploy/runtime.env``)."""
    pairs = (line.split("=", 1) for line in RUNTIME_ENV_FILE.read_text(encoding="utf-8").splitlines()
             if "=" in line and not line.lstrip().startswith("#"))
    return {key.strip(): value.strip() for key, value in pairs}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def wait_for_port(port: int, timeout: float, proc: Optional[subprocess.Popen] = None, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not port_open(port):
        if proc is not None and proc.poll() is not None:
            raise ServiceError(f"{what or 'process'} exited with code {proc.returncode} while starting")
        if time.monotonic() > deadline:
            raise ServiceError(f"{what or 'service'} not listening on 127.0.0.1:{port} after {timeout:.0f} s")
        time.sleep(0.1)


def _as_user(user: Optional[str], args: Sequence[str]) -> List[str]:
    return ["runuser", "-u", user, "--", *args] if user else list(args)


def can_enter(path: Path, user: str) -> bool:
    """Whether ``user`` may traverse every existing directory down to ``path``."""
    entry = pwd.getpwnam(user)
    groups = {g.gr_gid for g in grp.getgrall() if user in g.gr_mem} | {entry.pw_gid}
    for directory in [p for p in (path, *path.parents) if p.exists()]:
        st = directory.stat()
        bit = (stat.S_IXUSR if st.st_uid == entry.pw_uid else
               stat.S_IXGRP if st.st_gid in groups else stat.S_IXOTH)
        if not st.st_mode & bit:
            return False
    return True


def postgres_home(root: Path, user: Optional[str]) -> Path:
    """Where the cluster's files go: ``root``, or ``/var/tmp/fenqi-<hash of root>`` when ``user``
    (``postgres``, as root) cannot enter ``root`` (a checkout under /root, a private home)."""
    if user is None or can_enter(root, user):
        return root
    return Path("/var/tmp") / f"fenqi-{hashlib.sha256(str(root).encode()).hexdigest()[:12]}"


def _chown_tree(path: Path, user: str) -> None:
    entry = pwd.getpwnam(user)
    os.chown(path, entry.pw_uid, entry.pw_gid)
    for root, _dirs, files in os.walk(path):
        os.chown(root, entry.pw_uid, entry.pw_gid)
        for name in files:
            os.chown(os.path.join(root, name), entry.pw_uid, entry.pw_gid)


@dataclass
class Postgres:
    """A private PostgreSQL cluster in ``datadir`` on 127.0.0.1:``port``.

    As root the cluster belongs to the ``postgres`` user (``runuser``); the superuser
    ``postgres`` logs in over TCP with ``password`` (scram-sha-256), never trust.
    ``durable=False`` turns fsync off (tests and benchmarks of throwaway data only).
    """

    datadir: Path
    port: int
    password: str
    durable: bool = True
    user: Optional[str] = field(default_factory=lambda: "postgres" if is_root() else None)
    log: Optional[Path] = None

    @property
    def bindir(self) -> Path:
        found = pg_bindir()
        if found is None:
            raise ServiceError("PostgreSQL binaries not found (apt-get install postgresql)")
        return found

    def _run(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        result = subprocess.run(_as_user(self.user, args), capture_output=True, text=True, **kwargs)
        if result.returncode != 0:
            raise ServiceError(f"{Path(args[0]).name} failed: {result.stderr.strip() or result.stdout.strip()}")
        return result

    def init(self) -> None:
        """``initdb`` once (an existing cluster is kept)."""
        if (self.datadir / "PG_VERSION").exists():
            return
        self.datadir.mkdir(parents=True, exist_ok=True)
        pwfile = self.datadir.parent / f".{self.datadir.name}.pw"
        pwfile.write_text(self.password + "\n", encoding="utf-8")
        try:
            if self.user:
                _chown_tree(self.datadir, self.user)
                _chown_tree(pwfile, self.user)
            os.chmod(self.datadir, 0o700)
            self._run(str(self.bindir / "initdb"), "-D", str(self.datadir), "-U", "postgres",
                      f"--pwfile={pwfile}", "--auth-host=scram-sha-256", "--auth-local=scram-sha-256",
                      "-E", "UTF8", "--locale=C.UTF-8", timeout=120)
        finally:
            pwfile.unlink(missing_ok=True)

    def start(self, timeout: float = 60) -> None:
        self.init()
        options = [f"-p {self.port}", "-c listen_addresses=127.0.0.1",
                   f"-c unix_socket_directories={self.datadir}", "-c max_connections=200",
                   # no personal data in PostgreSQL's log (issue #21): psycopg2 sends values inline, and
                   # an error would log the statement and the DETAIL of a key ("Key (sender_id)=(wx:…)")
                   "-c log_min_error_statement=panic", "-c log_error_verbosity=terse"]
        if not self.durable:
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        log = self.log or self.datadir.parent / f"{self.datadir.name}.log"
        if self.user and not log.exists():
            log.touch()
            _chown_tree(log, self.user)
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-l", str(log), "-w",
                  "-t", str(int(timeout)), "-o", " ".join(options), "start", timeout=timeout + 10)
        wait_for_port(self.port, 10, what="postgres")

    def pid(self) -> Optional[int]:
        try:
            return int((self.datadir / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def running(self) -> bool:
        """Whether the postmaster of ``postmaster.pid`` is alive (a hard stop leaves the file)."""
        pid = self.pid()
        return pid is not None and pid_alive(pid)

    def stop(self, mode: str = "fast") -> None:
        """``pg_ctl stop``: ``fast`` (clean) or ``immediate`` (a hard stop: crash recovery on start)."""
        if (self.datadir / "postmaster.pid").exists():
            subprocess.run(_as_user(self.user, [str(self.bindir / "pg_ctl"), "-D", str(self.datadir),
                                                "-m", mode, "-w", "stop"]),
                           capture_output=True, timeout=60)

    def url(self, database: str, user: str = "postgres", password: Optional[str] = None) -> str:
        from urllib.parse import quote
        secret = quote(password if password is not None else self.password, safe="")
        return f"postgresql+psycopg2://{user}:{secret}@127.0.0.1:{self.port}/{database}"

    def ensure_role_and_databases(self, role: str, password: str, databases: Sequence[str]) -> None:
        """Create ``role`` (login, password) and the databases it owns, when missing."""
        import psycopg2
        from psycopg2 import sql

        conn = psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres",
                                password=self.password, dbname="postgres", connect_timeout=10)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,))
                verb = "ALTER" if cur.fetchone() else "CREATE"
                cur.execute(sql.SQL(verb + " ROLE {} LOGIN PASSWORD %s").format(sql.Identifier(role)),
                            (password,))
                for name in databases:
                    cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
                    if not cur.fetchone():
                        cur.execute(sql.SQL("CREATE DATABASE {} OWNER {} ENCODING 'UTF8'").format(
                            sql.Identifier(name), sql.Identifier(role)))
        finally:
            conn.close()

    def set_database_option(self, database: str, name: str, value: str) -> None:
        """``ALTER DATABASE … SET name = value`` (applies to new sessions)."""
        import psycopg2
        from psycopg2 import sql

        conn = psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres",
                                password=self.password, dbname="postgres", connect_timeout=10)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(sql.SQL("ALTER DATABASE {} SET {} = %s").format(
                    sql.Identifier(database), sql.Identifier(name)), (value,))
        finally:
            conn.close()


@dataclass
class Redis:
    """``redis-server`` on 127.0.0.1:``port`` (lock store only: no snapshots, no AOF)."""

    workdir: Path
    port: int
    proc: Optional[subprocess.Popen] = None

    def start(self, timeout: float = 20) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        log = open(self.workdir / "redis.log", "a", encoding="utf-8")
        self.proc = subprocess.Popen(
            [_which("redis-server") or "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--protected-mode", "yes", "--dir", str(self.workdir), "--save", "", "--appendonly", "no",
             "--daemonize", "no"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        wait_for_port(self.port, timeout, self.proc, "redis-server")

    def alive(self) -> bool:
        """Whether the redis-server this object started is running (polling reaps a dead one)."""
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        _terminate(self.proc)


def render_nginx_conf(prefix: Path, port: int, rasa_ports: Sequence[int], actions_port: int,
                      action_ports: Sequence[int], template: Path = TEMPLATE) -> str:
    """The nginx.conf for these upstreams (``deploy/nginx.conf.template``, ``{{NAME}}`` slots filled)."""
    from fenqi.resilience import ACTION_CALL_TIMEOUT_S, BALANCER_READ_TIMEOUT_S, BUSY_TEXT

    user = "user nobody nogroup;" if is_root() else ""
    busy = json.dumps([{"recipient_id": "", "text": BUSY_TEXT}], ensure_ascii=False)
    values: Dict[str, str] = {
        "USER": user, "PREFIX": str(prefix), "PORT": str(port), "ACTIONS_PORT": str(actions_port),
        "READ_TIMEOUT": str(int(BALANCER_READ_TIMEOUT_S)), "ACTIONS_READ_TIMEOUT": str(int(ACTION_CALL_TIMEOUT_S)),
        "BUSY_JSON": busy,
        "RASA_SERVERS": "\n".join(f"    server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;"
                                  for p in rasa_ports),
        "ACTION_SERVERS": "\n".join(f"    server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;"
                                    for p in action_ports),
    }
    text = template.read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    return text


@dataclass
class Nginx:
    """nginx in the foreground with its own prefix: balances Rasa on ``port``, actions on ``actions_port``."""

    prefix: Path
    port: int
    rasa_ports: Sequence[int]
    actions_port: int
    action_ports: Sequence[int]
    proc: Optional[subprocess.Popen] = None
    workers: Set[int] = field(default_factory=set)

    def start(self, timeout: float = 20) -> None:
        self.prefix.mkdir(parents=True, exist_ok=True)
        for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.prefix / "tmp" / sub).mkdir(parents=True, exist_ok=True)
        if is_root():
            _chown_tree(self.prefix / "tmp", "nobody")
        conf = self.prefix / "nginx.conf"
        conf.write_text(render_nginx_conf(self.prefix, self.port, self.rasa_ports, self.actions_port,
                                          self.action_ports), encoding="utf-8")
        self.kill_leftover_workers()
        binary = _which("nginx") or "nginx"
        check = subprocess.run([binary, "-t", "-q", "-p", str(self.prefix), "-c", str(conf)],
                               capture_output=True, text=True)
        if check.returncode != 0:
            raise ServiceError(f"nginx config invalid: {check.stderr.strip()}")
        log = open(self.prefix / "nginx.out", "a", encoding="utf-8")
        self.proc = subprocess.Popen([binary, "-p", str(self.prefix), "-c", str(conf), "-g", "daemon off;"],
                                     stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        wait_for_port(self.port, timeout, self.proc, "nginx")
        self.alive()

    def alive(self) -> bool:
        """Whether the master this object started is running; notes its workers meanwhile (a
        master killed leaves them serving, holding the ports: :meth:`kill_leftover_workers`)."""
        if self.proc is None or self.proc.poll() is not None:
            return False
        self.workers = set(child_pids(self.proc.pid))
        return True

    def kill_leftover_workers(self) -> None:
        """SIGKILL the workers of a master that died (the ones noted, if still nginx processes)."""
        for pid in sorted(self.workers):
            try:
                if Path(f"/proc/{pid}/cmdline").read_bytes().startswith(b"nginx"):
                    os.kill(pid, signal.SIGKILL)
            except (OSError, ProcessLookupError):
                pass
        deadline = time.monotonic() + 5
        while any(pid_alive(pid) for pid in self.workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.workers = set()

    def stop(self) -> None:
        _terminate(self.proc)
        self.kill_leftover_workers()


def pid_alive(pid: int) -> bool:
    """Whether ``pid`` is a running process (a zombie counts as dead)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def child_pids(pid: int) -> List[int]:
    """Direct and indirect children of ``pid`` (from /proc)."""
    try:
        direct = [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except (OSError, ValueError):
        return []
    return direct + [g for c in direct for g in child_pids(c)]


def _terminate(proc: Optional[subprocess.Popen], timeout: float = 15) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)
