"""
The sample API (sampleapi/) under real gunicorn with `AiohttpWorker`, beside its real stores
service, on its own database: a SQLite file by default, a fresh PostgreSQL database when
DATABASE_URL names one (created and dropped here), Redis as the cache when REDIS_URL is set.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from tests.server.gunicorn import ROOT, Gunicorn, free_port

STORES = ["fast", "slow:latency=5000", "down:failure=1"]


class Database:
    """A database of the sample API's own, for one group of server tests."""

    def __init__(self, tmp: str) -> None:
        base = os.environ.get("DATABASE_URL", "")
        self.postgres = base.startswith("postgres")
        if self.postgres:
            parts = urlsplit(base)
            self.name = f"{parts.path.lstrip('/') or 'test'}_sampleapi_{uuid.uuid4().hex[:8]}"
            self.admin_url = urlunsplit(parts._replace(path="/postgres"))
            self.url = urlunsplit(parts._replace(path=f"/{self.name}"))
            self._admin(f'CREATE DATABASE "{self.name}"')
        else:
            self.url = f"sqlite:///{tmp}/bookshop.sqlite3"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(sql)

    def drop(self) -> None:
        if self.postgres:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


class Bookshop:
    """Migrated and seeded sample API, its stores service, and a gunicorn serving it."""

    def __init__(self, *gunicorn_args: str, **environ: str) -> None:
        self.tmp = tempfile.TemporaryDirectory(prefix="drf-async-bookshop-")
        self.database = Database(self.tmp.name)
        self.access_log = Path(self.tmp.name) / "access.log"
        self.stores_port = free_port()
        self.environ = {
            "DJANGO_SETTINGS_MODULE": "sampleapi.settings",
            "DATABASE_URL": self.database.url,
            "STATIC_ROOT": f"{self.tmp.name}/static",
            "CACHE_KEY_PREFIX": f"bookshop-{uuid.uuid4().hex[:8]}",
            "BOOKSHOP_STORES_URL": f"http://127.0.0.1:{self.stores_port}",
            "BOOKSHOP_STORES": ",".join(spec.split(":")[0] for spec in STORES),
            "BOOKSHOP_STORE_TIMEOUT": "1",
            "THROTTLE_ANON": "10000/min",
            "THROTTLE_USER": "10000/min",
            **environ,
        }
        self.stores: subprocess.Popen | None = None
        self.server: Gunicorn | None = None
        try:
            self.prepare()
            self.stores = subprocess.Popen(
                [sys.executable, "-m", "sampleapi.stores", "--port", str(self.stores_port), "--latency", "0", *STORES],
                cwd=ROOT, env=self.env(), start_new_session=True,
            )
            self.server = self.gunicorn(*gunicorn_args)
            self.wait_for_stores()
        except BaseException:
            self.stop()
            raise

    def gunicorn(self, *args: str, **environ: str) -> Gunicorn:
        """A gunicorn serving this bookshop (its database, static files and stores), *environ* overriding."""
        env_args = [arg for name, value in {**self.environ, **environ}.items() for arg in ("--env", f"{name}={value}")]
        return Gunicorn(
            *env_args, "--access-logfile", str(self.access_log), "--access-logformat", "%(p)s %(s)s %(U)s",
            *args, app="sampleapi.asgi:application",
        )

    def env(self) -> dict[str, str]:
        return {**os.environ, "PYTHONPATH": str(ROOT), **self.environ}

    def prepare(self) -> None:
        """migrate, seed and collectstatic, in one process (each Django start-up costs a second)."""
        script = ("import django; django.setup(); from django.core.management import call_command as c; "
                  "c('migrate', interactive=False, verbosity=0); c('seed'); "
                  "c('collectstatic', interactive=False, verbosity=0)")
        done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=self.env(), capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, done.stderr

    def manage(self, *args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "django", *args], cwd=ROOT, env=self.env(),
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def wait_for_stores(self, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self.configure_store("fast")
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the stores service did not start")

    def configure_store(self, name: str, **changes: float) -> Any:
        conn = http.client.HTTPConnection("127.0.0.1", self.stores_port, timeout=5)
        try:
            conn.request("PUT", f"/{name}/", body=json.dumps(changes), headers={"Content-Type": "application/json"})
            return json.loads(conn.getresponse().read())
        finally:
            conn.close()

    def request(self, method: str, path: str, data: Any = None, token: str | None = None,
                headers: dict[str, str] | None = None, query: dict[str, Any] | None = None,
                server: Gunicorn | None = None) -> tuple[http.client.HTTPResponse, bytes]:
        """One request on a fresh connection (to *server*, default this bookshop's); JSON in, raw body out."""
        server = server or self.server
        assert server is not None
        all_headers = {"Accept": "application/json", **(headers or {})}
        body = None
        if data is not None:
            body = json.dumps(data).encode()
            all_headers["Content-Type"] = "application/json"
        if token:
            all_headers["Authorization"] = f"Token {token}"
        conn = server.connection()
        try:
            conn.request(method, path + (f"?{urlencode(query)}" if query else ""), body=body, headers=all_headers)
            response = conn.getresponse()
            return response, response.read()
        finally:
            conn.close()

    def json(self, method: str, path: str, data: Any = None, **kwargs: Any) -> tuple[int, Any]:
        response, body = self.request(method, path, data, **kwargs)
        return response.status, json.loads(body) if body else None

    def token(self, username: str, password: str = "bookshop") -> str:
        status, data = self.json("POST", "/api/auth/token/", {"username": username, "password": password})
        assert status == 200, data
        return data["token"]

    def worker_pids(self, server: Gunicorn | None = None) -> list[int]:
        """The worker processes of *server* (default this bookshop's)."""
        server = server or self.server
        assert server is not None
        master = server.process.pid
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        return [int(pid) for pid in children]

    def served_by(self) -> list[str]:
        """The worker pid of each logged request, in order (access log format "%(p)s %(s)s %(U)s")."""
        return [line.split()[0] for line in self.access_log.read_text().splitlines() if line]

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
        if self.stores is not None and self.stores.poll() is None:
            self.stores.terminate()
            self.stores.wait(10)
        self.database.drop()
        self.tmp.cleanup()


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise LookupError(pid)
