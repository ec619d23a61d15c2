"""
Run DRF's own test suite twice — on plain DRF, then through drf_async's classes (the
drf_async_suite plugin beside this file) — and compare: every test that passes on plain
DRF must pass through drf_async too, or be listed in expected_failures.txt (as a strict
expected failure: one that starts passing fails the run).

    .venv/bin/python tests/drf_suite/run.py          # what `make test-drf` runs
    .venv/bin/python tests/drf_suite/run.py -- -k test_generics   # extra pytest arguments

DRF's tests come from the sdist of the *installed* DRF version (downloaded once with pip
into .drf-suite/, which is git-ignored); they run against the installed DRF, on SQLite
(DRF's own default), whatever DATABASE_URL says.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CACHE = ROOT / ".drf-suite"


def drf_version() -> str:
    import rest_framework

    return rest_framework.__version__


def suite_dir(version: str) -> Path:
    """DRF's tests/ and pyproject.toml for *version*, from its sdist (downloaded once)."""
    work = CACHE / version
    if (work / "tests" / "conftest.py").exists():
        return work
    CACHE.mkdir(exist_ok=True)
    sdists = list(CACHE.glob(f"djangorestframework-{version}.tar.gz"))
    if not sdists:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
             f"djangorestframework=={version}", "-d", str(CACHE)],
            check=True,
        )
        sdists = list(CACHE.glob(f"djangorestframework-{version}.tar.gz"))
    top = f"djangorestframework-{version}/"
    with tarfile.open(sdists[0]) as archive:
        wanted = (top + "tests/", top + "pyproject.toml", top + "setup.cfg")
        members = [m for m in archive.getmembers() if m.name.startswith(wanted)]
        for member in members:
            member.name = member.name[len(top):]
        if work.exists():
            shutil.rmtree(work)
        if hasattr(tarfile, "data_filter"):  # Python 3.10.12+, 3.11.4+
            archive.extractall(work, members=members, filter="data")
        else:
            archive.extractall(work, members=members)
    return work


def pytest_config(work: Path) -> Path:
    """DRF's pytest configuration: pyproject.toml's [tool.pytest] (3.17+) or setup.cfg's [tool:pytest] (3.16)."""
    for name, section in (("pyproject.toml", "[tool.pytest"), ("setup.cfg", "[tool:pytest]")):
        path = work / name
        if path.exists() and section in path.read_text():
            return path
    raise SystemExit(f"no pytest configuration in DRF's sdist ({work})")


def run(work: Path, outcomes: Path, swapped: bool, extra: list[str]) -> int:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
    env.pop("DATABASE_URL", None)  # DRF's conftest would use it; its suite targets SQLite
    env.pop("DJANGO_SETTINGS_MODULE", None)  # DRF's conftest configures settings itself
    command = [
        # -c: DRF's own configuration, never a project's found further up the tree.
        sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "drf_async_suite",
        "-c", str(pytest_config(work)), "--rootdir", str(work), "--drf-async-outcomes", str(outcomes),
        *(["--drf-async"] if swapped else []), *extra,
    ]
    print(f"$ {' '.join(command[1:])}", flush=True)
    return subprocess.run(command, cwd=work, env=env).returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    args = parser.parse_args()
    version = drf_version()
    work = suite_dir(version)
    plain_file, swapped_file = work / "outcomes-plain.json", work / "outcomes-drf_async.json"

    print(f"== DRF {version}'s test suite on plain DRF", flush=True)
    plain_code = run(work, plain_file, False, args.pytest_args)
    if plain_code not in (0, 1):  # 1: some tests failed on plain DRF, which is no concern of ours
        print(f"DRF's suite did not run on plain DRF (pytest exit code {plain_code})")
        return plain_code
    print(f"== DRF {version}'s test suite through drf_async's classes", flush=True)
    swapped_code = run(work, swapped_file, True, args.pytest_args)

    plain = json.loads(plain_file.read_text())
    swapped = json.loads(swapped_file.read_text())
    sys.path.insert(0, str(HERE))
    from drf_async_suite import expected_failures

    listed = expected_failures()
    passed_plain = {node for node, outcome in plain.items() if outcome == "passed"}
    passed_swapped = {node for node, outcome in swapped.items() if outcome == "passed"}
    expected = {node for node in passed_plain if swapped.get(node) == "xfailed" and node in listed}
    regressions = sorted(passed_plain - passed_swapped - expected)
    unexpected_passes = sorted(node for node, outcome in swapped.items() if outcome == "xpassed")

    print(f"\nDRF {version}: {len(passed_plain)} tests pass on plain DRF; through drf_async's classes "
          f"{len(passed_plain & passed_swapped)} of them pass and {len(expected)} are listed expected failures "
          f"(expected_failures.txt: {len(listed)} entries).")
    for node in regressions:
        print(f"  REGRESSION (passes on plain DRF, not through drf_async, not listed): {node}")
    for node in unexpected_passes:
        print(f"  XPASS (listed in expected_failures.txt but passes now: remove it): {node}")
    if regressions or unexpected_passes:
        return 1
    # The swapped run's own failures are all accounted for above; a collection error is not.
    return 0 if swapped_code in (0, 1) else swapped_code


if __name__ == "__main__":
    sys.exit(main())
