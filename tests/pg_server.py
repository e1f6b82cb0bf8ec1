"""A throw-away PostgreSQL server for tests: initdb into a private temporary folder, listen on 127.0.0.1 only
(plus a private socket directory), yield the server's URL, and always stop it and remove its data."""
from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def postgres_bin() -> Path | None:
    """The bin/ folder of the newest Debian-installed PostgreSQL (/usr/lib/postgresql/*/bin), or None."""
    found = [Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/initdb")]

    def version(folder: Path):
        try:
            return float(folder.parent.name)
        except ValueError:
            return 0.0

    return max(found, key=version) if found else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_postgres(command: list[str]) -> list[str]:
    """initdb and the server refuse to run as root: as root, run them as the postgres user."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


def _run(command: list[str], cwd: Path, log: Path | None = None, timeout: float = 120) -> None:
    done = subprocess.run(_as_postgres(command), cwd=cwd, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        tail = log.read_text()[-2000:] if log is not None and log.is_file() else ""
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout[-2000:]}\n"
                           f"{done.stderr[-2000:]}\n{tail}")


@contextlib.contextmanager
def postgres_server(database: str = "gradebook", bindir: Path | None = None):
    """Start a server, create `database`, yield postgresql://postgres@127.0.0.1:PORT/DATABASE (trust auth on
    loopback only); stop the server (fast, then immediate) and delete the data folder on the way out."""
    bindir = bindir or postgres_bin()
    if bindir is None:
        raise RuntimeError("no /usr/lib/postgresql/*/bin/initdb")
    # Not under pytest's basetemp: that is root-only (0700), so the postgres user could not reach it.
    base = Path(tempfile.mkdtemp(prefix="dnnkit-pg-", dir="/tmp" if os.path.isdir("/tmp") else None))
    data, sockets, log = base / "data", base / "sockets", base / "server.log"
    sockets.mkdir()
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        for path in (base, sockets):
            os.chown(path, owner.pw_uid, owner.pw_gid)
    started = False
    try:
        _run([str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
              "--no-locale", "--no-sync"], cwd=base)
        for attempt in range(3):  # the free port may be taken between choosing and binding it
            port = _free_port()
            options = (f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={sockets} "
                       "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
            try:
                started = True  # from here on a half-started server is stopped in teardown
                _run([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", "60",
                      "start"], cwd=base, log=log)
                break
            except RuntimeError:
                _stop(bindir, data, base)
                started = False
                if attempt == 2:
                    raise
        _create_database(port, database)
        yield f"postgresql://postgres@127.0.0.1:{port}/{database}"
    finally:
        try:
            if started:
                _stop(bindir, data, base)
        finally:
            shutil.rmtree(base, ignore_errors=True)


def _stop(bindir: Path, data: Path, base: Path) -> None:
    if not (data / "postmaster.pid").exists():
        return
    for mode in ("fast", "immediate"):
        done = subprocess.run(_as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m", mode, "-w", "-t", "30",
                                            "stop"]), cwd=base, capture_output=True, text=True, timeout=60)
        if done.returncode == 0 or not (data / "postmaster.pid").exists():
            return


def _create_database(port: int, database: str) -> None:
    import psycopg

    deadline = time.monotonic() + 30
    while True:
        try:
            with psycopg.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres",
                                 autocommit=True, connect_timeout=5) as conn:
                conn.execute(f'CREATE DATABASE "{database}"')
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
