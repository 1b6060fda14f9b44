"""The HTML brief in headless Chromium: loads without console errors, screenshots, shows Korean.

Skipped (with the reason) only where Debian's ``/usr/bin/chromium`` is absent; CI installs it.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from test_report_render import small_document

from surveykit.report.render import write_html

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium (/usr/bin/chromium) is not installed"),
]
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# Chromium prints page console messages as '...:INFO:CONSOLE:1] "text", source: ...' (older
# builds: 'CONSOLE(1)]') with
# --enable-logging=stderr; CSP violations and uncaught errors arrive the same way.
CONSOLE = re.compile(r":CONSOLE[:(]\d+|Uncaught|Content Security Policy|Failed to load resource")


def chromium(tmp: Path, url: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
    cmd = [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args, url]
    return subprocess.run(cmd, capture_output=True, timeout=120, env={**os.environ, **(env or {})})


def console_lines(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stderr.decode("utf-8", "replace").splitlines() if CONSOLE.search(line)]


def screenshot(tmp: Path, html: Path, name: str, env: dict[str, str] | None = None) -> tuple[bytes, list[str]]:
    shot = tmp / f"{name}.png"
    result = chromium(
        tmp,
        html.as_uri(),
        "--enable-logging=stderr",
        "--v=0",
        "--window-size=900,1400",
        f"--screenshot={shot}",
        env=env,
    )
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")[-2000:]
    return shot.read_bytes(), console_lines(result)


def test_console_detector_sees_errors(tmp_path: Path) -> None:
    """Control: the check below can fail (a page that logs an error is caught)."""
    page = tmp_path / "noisy.html"
    page.write_text("<!DOCTYPE html><html><body><p>x</p><script>console.error('boom')</script></body></html>")
    _, lines = screenshot(tmp_path, page, "noisy")
    assert any("boom" in line for line in lines)


def test_brief_loads_without_console_errors(tmp_path: Path) -> None:
    html = write_html(small_document('<script>console.error("injected")</script>'), tmp_path / "brief.html")
    png, lines = screenshot(tmp_path, html, "brief")
    assert png.startswith(PNG_MAGIC) and len(png) > 10_000
    assert lines == []


def test_dom_has_sections_and_no_script(tmp_path: Path) -> None:
    html = write_html(small_document("<script>alert(1)</script>"), tmp_path / "brief.html")
    result = chromium(tmp_path, html.as_uri(), "--dump-dom")
    dom = result.stdout.decode("utf-8")
    assert result.returncode == 0 and "<script" not in dom
    assert "가입 의향" in dom and 'id="intent"' in dom and "&lt;script&gt;alert(1)" in dom


def test_korean_shows_without_a_system_korean_font(tmp_path: Path) -> None:
    """With only matplotlib's DejaVu fonts visible, Hangul must come from the embedded subset."""
    import matplotlib

    latin_only = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    conf = tmp_path / "fonts.conf"
    conf.write_text(
        f'<?xml version="1.0"?><fontconfig><dir>{latin_only}</dir>'
        f"<cachedir>{tmp_path / 'fc-cache'}</cachedir></fontconfig>"
    )
    env = {"FONTCONFIG_FILE": str(conf)}
    doc = small_document()
    embedded, lines = screenshot(tmp_path, write_html(doc, tmp_path / "e.html"), "embedded", env)
    bare, _ = screenshot(tmp_path, write_html(doc, tmp_path / "b.html", embed_fonts=False), "bare", env)
    assert lines == []
    assert embedded != bare  # without the embedded font the Hangul is drawn as boxes
