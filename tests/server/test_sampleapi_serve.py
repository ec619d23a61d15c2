"""`make serve`'s launcher (python -m sampleapi.serve): prints where everything is, serves, and Ctrl-C stops it all."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from tests.server.bookshop import Database
from tests.server.gunicorn import ROOT, free_port

pytestmark = pytest.mark.server


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_serve_prints_the_urls_and_ctrl_c_stops_everything():
    with tempfile.TemporaryDirectory(prefix="drf-async-serve-") as tmp:
        database = Database(tmp)
        port, stores_port = free_port(), free_port()
        env = {**os.environ, "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": "sampleapi.settings",
               "DATABASE_URL": database.url, "STATIC_ROOT": f"{tmp}/static"}
        out = open(f"{tmp}/out.log", "w+")
        process = subprocess.Popen(
            [sys.executable, "-m", "sampleapi.serve", "--port", str(port), "--stores-port", str(stores_port)],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
        started: list[int] = []
        try:
            deadline = time.monotonic() + 60
            while "Ctrl-C stops everything" not in Path(out.name).read_text():
                assert process.poll() is None and time.monotonic() < deadline, Path(out.name).read_text()
                time.sleep(0.2)
            printed = Path(out.name).read_text()
            base = f"http://127.0.0.1:{port}"
            for line in (f"API root         {base}/api/", f"Swagger UI       {base}/api/docs/",
                         f"Browsable API    {base}/api/books/", "Seeded logins    alice / bookshop"):
                assert line in printed, printed
            with urllib.request.urlopen(f"{base}/api/books/1/availability/", timeout=10) as reply:
                assert {answer["store"] for answer in json.load(reply)} == {"north", "south", "east"}
            started[:] = children(process.pid)
            assert len(started) == 2  # the stores service and the gunicorn master
            process.send_signal(signal.SIGINT)  # what Ctrl-C sends
            assert process.wait(30) == 0
            assert [pid for pid in started if alive(pid)] == []
            assert "Stopping" in Path(out.name).read_text()
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)
            for pid in started:  # each in a session of its own, so not in the launcher's group
                if alive(pid):
                    os.kill(pid, signal.SIGKILL)
            out.close()
            database.drop()
