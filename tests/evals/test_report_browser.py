"""report.html in real headless Chromium: the matrix, the chart and the script-built drill-down render."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="chromium is not installed at /usr/bin/chromium"
)


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    return subprocess.run(
        [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


def test_report_renders_in_chromium(first_run, tmp_path):
    base, document, _ = first_run
    report = base / "out" / "report.html"
    dom = chromium(tmp_path, "--dump-dom", report.as_uri()).stdout
    assert '<table id="matrix">' in dom
    # The matrix: one row per suite, one cell per model with score and CI.
    for suite in document["meta"]["suites"]:
        assert f">{suite}</th>" in dom
    assert re.search(r"data-model=\"beta\" data-suite=\"gsm8k\"><div class=\"score\">50\.0% ", dom)
    # The chart with the only priced model on the Pareto front; the unpriced one is named, not plotted.
    assert '<svg id="chart"' in dom and 'data-model="alpha"' in dom
    assert "Pareto front: alpha" in dom and "not plotted): beta" in dom
    # The drill-down exists only if the inline script ran: one <details> per (suite, item).
    rendered = re.findall(r"<details class=\"item\"><summary>(\w+) / ", dom)  # not the script's template
    assert len(rendered) == 20 and rendered.count("gsm8k") == 4
    assert "「答え：１８」" in dom  # Japanese responses survive the round trip


def test_report_screenshot_is_not_blank(first_run, tmp_path):
    base, _, _ = first_run
    shot = tmp_path / "report.png"
    chromium(
        tmp_path, f"--screenshot={shot}", "--window-size=1280,2000", (base / "out" / "report.html").as_uri()
    )
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 20_000  # a blank page compresses to a few kilobytes
