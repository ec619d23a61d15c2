"""
README's "Works with" table cannot drift from the matrix: its versions are the pins, and
installed; the docs site's page (docs/topics/works-with.md) is the same section.
"""

from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).parent.parent.parent
# Table rows whose package name is not its distribution name, or that name two distributions.
DISTRIBUTIONS = {
    "WhiteNoise": ["whitenoise"],
    "django-guardian (+ djangorestframework-guardian)": ["django-guardian", "djangorestframework-guardian"],
    "opentelemetry-instrumentation-django (+ opentelemetry-instrumentation-asgi, opentelemetry-sdk)": [
        "opentelemetry-instrumentation-django", "opentelemetry-instrumentation-asgi", "opentelemetry-sdk",
    ],
}


def readme_section() -> str:
    """README's "## Works with" section, without its heading."""
    return ROOT.joinpath("README.md").read_text().split("## Works with\n", 1)[1].split("\n## ", 1)[0].strip()


def table() -> dict[str, str]:
    """{distribution: version} from README's "## Works with" table."""
    rows = {}
    for line in readme_section().splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if len(cells) != 4 or cells[0] in ("package", "---"):
            continue
        names = DISTRIBUTIONS.get(cells[0], [cells[0]])
        versions = re.findall(r"\d+(?:\.\d+)+(?:b\d+)?", cells[1])
        assert len(names) == len(versions), line
        rows.update(zip(names, versions, strict=True))
    return rows


def pins() -> dict[str, str]:
    """{distribution: version} pinned in requirements-ecosystem.txt."""
    lines = ROOT.joinpath("requirements-ecosystem.txt").read_text().splitlines()
    return dict(line.split("==") for line in lines if line and not line.startswith("#"))


def test_table_versions_are_the_pins_and_installed():
    """Every package of the table is pinned at the version it names, that version is installed, and vice versa."""
    rows = table()
    assert len(rows) == 14
    assert rows == pins()
    assert {name: version(name) for name in rows} == rows


def test_docs_page_is_the_readme_section():
    """docs/topics/works-with.md says what README's section says, word for word."""
    page = ROOT.joinpath("docs", "topics", "works-with.md").read_text()
    assert page.startswith("# Works with\n")
    assert page.removeprefix("# Works with\n").strip() == readme_section()
