"""`make bench`: the loan schedule engine, page timings at 100,000 demo clients, and loan
servicing (repayment postings, close of business over 100,000 loans) on SQLite and, when
reachable, PostgreSQL.

Each database runs in its own process (Django picks its database at start-up). The demo data
is built once per database and reused while its size matches (`--rebuild` forces a new one).
Loan servicing has databases of its own (`var/bench/lending/` and `opstap_bench_lending`), so
its 100,000 clients never upset the page benchmark's reuse of its demo data.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/opstap_bench"
)
LENDING_POSTGRES_URL = os.environ.get("BENCH_LENDING_DATABASE_URL", f"{POSTGRES_URL}_lending")
PARTS = ("engine", "plans", "pages", "lending")


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


def run_engine() -> int:
    """The engine engineer's bench/engine.py, when it is there: pure Python, in-process."""
    if importlib.util.find_spec("bench.engine") is None:
        print("bench/engine.py not found: engine benchmark skipped")
        return 0
    from bench import engine

    print("\n== engine")
    print("\n".join(engine.run()))
    return 0


def run_plans() -> int:
    """The financial plan calculation in-process (pure Python), then the plan's PDF in a
    process of its own with a small SQLite database."""
    from bench import plans

    print("\n== business plan")
    print("\n".join(plans.run()))
    env = _environment("", ROOT / "var" / "bench" / "plans")
    (ROOT / "var" / "bench" / "plans").mkdir(parents=True, exist_ok=True)
    database = ROOT / "var" / "bench" / "plans" / "opstap.sqlite3"
    database.unlink(missing_ok=True)
    return subprocess.call([sys.executable, "-m", "bench.plans_pdf"], cwd=ROOT, env=env)


def _environment(database_url: str, var_dir: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "OPSTAP_VAR_DIR": str(var_dir),
        "DJANGO_SETTINGS_MODULE": "opstap.settings",
    }
    if database_url:
        env["DATABASE_URL"] = database_url
    else:
        env.pop("DATABASE_URL", None)
    return env


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=200, help="requests per page kind")
    parser.add_argument(
        "--loans",
        type=int,
        default=None,
        help="active loans for the close of business (default: 100,000 on PostgreSQL, "
        "10,000 on SQLite)",
    )
    parser.add_argument("--postings", type=int, default=500, help="repayments to post")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument(
        "--parts",
        default=",".join(PARTS),
        help=f"comma-separated, any of {', '.join(PARTS)} (default: all)",
    )
    args = parser.parse_args()
    parts = {p.strip() for p in args.parts.split(",") if p.strip()}
    unknown = parts - set(PARTS)
    if unknown:
        parser.error(f"--parts: unknown {', '.join(sorted(unknown))}")

    status = 0
    if "engine" in parts:
        status |= run_engine()
    if "plans" in parts:
        status |= run_plans()

    targets = []
    if args.only in (None, "sqlite"):
        targets.append(("sqlite", "", ""))
    if args.only in (None, "postgresql"):
        if postgres_reachable():
            if "pages" in parts:
                ensure_postgres_database(POSTGRES_URL)
            if "lending" in parts:
                ensure_postgres_database(LENDING_POSTGRES_URL)
            targets.append(("postgresql", POSTGRES_URL, LENDING_POSTGRES_URL))
        else:
            print("PostgreSQL not reachable on 127.0.0.1:5432: skipped")
    for name, pages_url, lending_url in targets:
        if "pages" in parts:
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
            env = _environment(pages_url, ROOT / "var" / "bench")
            status |= subprocess.call(command, cwd=ROOT, env=env)
        if "lending" in parts:
            loans = args.loans or (100_000 if name == "postgresql" else 10_000)
            command = [
                sys.executable,
                "-m",
                "bench.lending",
                "--database",
                name,
                "--loans",
                str(loans),
                "--postings",
                str(args.postings),
            ]
            if args.rebuild:
                command.append("--rebuild")
            env = _environment(lending_url, ROOT / "var" / "bench" / "lending")
            status |= subprocess.call(command, cwd=ROOT, env=env)
    return status


if __name__ == "__main__":
    sys.exit(main())
