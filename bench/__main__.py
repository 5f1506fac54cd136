"""`make bench`: page timings at 100,000 demo clients on SQLite and, when reachable, PostgreSQL.

Each database runs in its own process (Django picks its database at start-up). The demo data
is built once per database and reused while its size matches (`--rebuild` forces a new one).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/opstap_bench"
)


def postgres_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


def ensure_postgres_database(url: str) -> None:
    """Create the benchmark database on first use (Django's migrate needs it to exist)."""
    import psycopg
    from psycopg import sql

    name = url.rsplit("/", 1)[1]
    server = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(server, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=200, help="requests per page kind")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()

    targets = []
    if args.only in (None, "sqlite"):
        targets.append(("sqlite", {"DATABASE_URL": ""}))
    if args.only in (None, "postgresql"):
        if postgres_reachable():
            ensure_postgres_database(POSTGRES_URL)
            targets.append(("postgresql", {"DATABASE_URL": POSTGRES_URL}))
        else:
            print("PostgreSQL not reachable on 127.0.0.1:5432: skipped")
    status = 0
    for name, extra_env in targets:
        env = {
            **os.environ,
            **extra_env,
            "OPSTAP_VAR_DIR": str(ROOT / "var" / "bench"),
            "DJANGO_SETTINGS_MODULE": "opstap.settings",
        }
        if not extra_env["DATABASE_URL"]:
            env.pop("DATABASE_URL")
        command = [
            sys.executable,
            "-m",
            "bench.pages",
            "--database",
            name,
            "--clients",
            str(args.clients),
            "--repeat",
            str(args.repeat),
        ]
        if args.rebuild:
            command.append("--rebuild")
        status |= subprocess.call(command, cwd=ROOT, env=env)
    return status


if __name__ == "__main__":
    sys.exit(main())
