"""PostgreSQL and Redis on 127.0.0.1 for the Celery cluster: reuse them if they answer, else
install (apt-get, as root) and start private ones under a scratch folder.

``python -m beatbrief.services start --dir DIR`` (``make services``) and
``python -m beatbrief.services stop --dir DIR`` (``make services-stop``), which stops only the
servers that ``start`` started (marker files in DIR/run): a server that was already running
stays up. The private PostgreSQL cluster trusts every local connection (development only).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

HOST = "127.0.0.1"
POSTGRES_PORT = 5432
REDIS_PORT = 6379
POSTGRES_USER = "postgres"
# The first message of pg_isready and of every libpq client that asks for TLS.
SSL_REQUEST = struct.pack("!ii", 8, 80877103)
START_TIMEOUT_S = 60


# probes ----------------------------------------------------------------------------------------
def postgres_answers(host: str = HOST, port: int = POSTGRES_PORT, timeout: float = 1.0) -> bool:
    """Whether a PostgreSQL server answers on host:port (it replies S or N to an SSLRequest)."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(SSL_REQUEST)
            return sock.recv(1) in (b"S", b"N")
    except OSError:
        return False


def redis_answers(host: str = HOST, port: int = REDIS_PORT, timeout: float = 1.0) -> bool:
    """Whether a Redis server answers PING on host:port without a password."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(7).startswith(b"+PONG")
    except OSError:
        return False


def postgres_trusts(host: str = HOST, port: int = POSTGRES_PORT) -> str | None:
    """None if user postgres may log in without a password on host:port, else the error."""
    import psycopg2

    try:
        psycopg2.connect(
            host=host, port=port, user=POSTGRES_USER, dbname="postgres", connect_timeout=5
        ).close()
    except psycopg2.Error as error:
        return str(error).strip()
    return None


# start -----------------------------------------------------------------------------------------
def _is_root() -> bool:
    return os.geteuid() == 0


def _apt_install(package: str) -> None:
    """Install a Debian package (root only), or tell the user how."""
    if not _is_root():
        raise SystemExit(f"{package} is not installed: run `sudo apt-get install {package}`")
    print(f"installing {package} with apt-get", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", package],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )


def _postgres_bindir() -> Path | None:
    """The newest /usr/lib/postgresql/<version>/bin with initdb, if any."""
    found = [p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/initdb")]
    return max(found, key=lambda p: int(p.parent.name)) if found else None


def _as_postgres(command: list[str]) -> list[str]:
    """command run as the postgres user when we are root (initdb and pg_ctl refuse root)."""
    return ["runuser", "-u", POSTGRES_USER, "--", *command] if _is_root() else command


def _wait_until(probe, what: str) -> None:
    """Wait until probe() is true, or fail naming what did not come up."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while not probe():
        if time.monotonic() > deadline:
            raise SystemExit(f"{what} did not answer within {START_TIMEOUT_S} s")
        time.sleep(0.1)


def ensure_postgres(base: Path, port: int = POSTGRES_PORT) -> str:
    """Reuse the PostgreSQL server on 127.0.0.1:port, or start a private trust-auth one."""
    if not postgres_answers(HOST, port):
        bindir = _postgres_bindir()
        if bindir is None:
            _apt_install("postgresql")
            bindir = _postgres_bindir()
        if bindir is None:
            raise SystemExit("postgresql is installed, but /usr/lib/postgresql/*/bin/initdb is not")
        # Debian's policy-rc.d may have kept the package's own cluster down, or not.
        if not postgres_answers(HOST, port):
            _start_postgres(bindir, base, port)
            return f"postgres: started a private cluster on {HOST}:{port} in {base / 'pg'}"
    refused = postgres_trusts(HOST, port)
    if refused:
        raise SystemExit(
            f"PostgreSQL on {HOST}:{port} refuses user {POSTGRES_USER} without a password "
            f"({refused}). Allow trust for 127.0.0.1 in pg_hba.conf, or give the cluster "
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN and AIRFLOW__CELERY__RESULT_BACKEND with a "
            "password."
        )
    return f"postgres: reusing {HOST}:{port}"


def _start_postgres(bindir: Path, base: Path, port: int) -> None:
    """initdb (once) and start a trust-auth cluster on 127.0.0.1:port under base/pg."""
    pg, data = base / "pg", base / "pg" / "data"
    if not (data / "PG_VERSION").exists():
        data.mkdir(parents=True, exist_ok=True)
        if _is_root():
            for path in [pg, *pg.rglob("*")]:
                shutil.chown(path, POSTGRES_USER, POSTGRES_USER)
        with open(base / "logs" / "initdb.log", "wb") as log:
            subprocess.run(
                _as_postgres(
                    [str(bindir / "initdb"), "-D", str(data), "-U", POSTGRES_USER]
                    + ["--auth=trust", "-E", "UTF8"]
                ),
                check=True,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
    options = f"-c listen_addresses={HOST} -p {port} -k {pg}"
    subprocess.run(
        _as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(pg / "postgres.log")])
        + ["-w", "-o", options, "start"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    (base / "run" / "postgres.started-by-us").write_text(f"{bindir}\n", encoding="utf-8")
    _wait_until(lambda: postgres_answers(HOST, port), f"PostgreSQL on {HOST}:{port}")


def ensure_redis(base: Path, port: int = REDIS_PORT) -> str:
    """Reuse the Redis server on 127.0.0.1:port, or start one without persistence."""
    if redis_answers(HOST, port):
        return f"redis: reusing {HOST}:{port}"
    server = shutil.which("redis-server")
    if server is None:
        _apt_install("redis-server")
        server = shutil.which("redis-server") or "/usr/bin/redis-server"
    if redis_answers(HOST, port):  # the package's service came up
        return f"redis: reusing {HOST}:{port}"
    (base / "redis").mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [server, "--daemonize", "yes", "--port", str(port), "--bind", HOST]
        + ["--dir", str(base / "redis"), "--save", "", "--appendonly", "no"]
        + ["--pidfile", str(base / "run" / "redis.pid")]
        + ["--logfile", str(base / "logs" / "redis.log")],
        check=True,
    )
    (base / "run" / "redis.started-by-us").write_text(f"{port}\n", encoding="utf-8")
    _wait_until(lambda: redis_answers(HOST, port), f"Redis on {HOST}:{port}")
    return f"redis: started on {HOST}:{port} (log {base / 'logs' / 'redis.log'})"


def start(base: Path, postgres_port: int = POSTGRES_PORT, redis_port: int = REDIS_PORT) -> int:
    """Make PostgreSQL and Redis answer on 127.0.0.1; 0 when both do."""
    base = base.resolve()
    for sub in ("run", "logs"):
        (base / sub).mkdir(parents=True, exist_ok=True)
    print(ensure_postgres(base, postgres_port))
    print(ensure_redis(base, redis_port))
    return 0


# stop ------------------------------------------------------------------------------------------
def stop(base: Path) -> int:
    """Stop the servers that start() started under base; leave every other server alone."""
    base, stopped = base.resolve(), []
    redis_marker = base / "run" / "redis.started-by-us"
    if redis_marker.exists():
        pid_file = base / "run" / "redis.pid"
        with contextlib.suppress(FileNotFoundError, ValueError, ProcessLookupError):
            pid = int(pid_file.read_text().strip())
            if "redis" in Path(f"/proc/{pid}/comm").read_text():
                os.kill(pid, signal.SIGTERM)
                stopped.append(f"redis (pid {pid})")
        redis_marker.unlink()
    pg_marker = base / "run" / "postgres.started-by-us"
    if pg_marker.exists():
        bindir = Path(pg_marker.read_text(encoding="utf-8").strip())
        command = [str(bindir / "pg_ctl"), "-D", str(base / "pg" / "data"), "-m", "fast", "-w"]
        subprocess.run(_as_postgres([*command, "stop"]), check=False, stdout=subprocess.DEVNULL)
        pg_marker.unlink()
        stopped.append("postgres")
    print(f"stopped: {', '.join(stopped)}" if stopped else "no server started by us is running")
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m beatbrief.services {start,stop} --dir DIR``."""
    parser = argparse.ArgumentParser(prog="python -m beatbrief.services")
    parser.add_argument("command", choices=["start", "stop"])
    parser.add_argument("--dir", type=Path, required=True, help="scratch folder for the servers")
    parser.add_argument("--postgres-port", type=int, default=POSTGRES_PORT)
    parser.add_argument("--redis-port", type=int, default=REDIS_PORT)
    args = parser.parse_args(argv)
    if args.command == "stop":
        return stop(args.dir)
    return start(args.dir, args.postgres_port, args.redis_port)


if __name__ == "__main__":
    sys.exit(main())
