"""Fixtures of the site checks: the built site, a local HTTP server and headless Chromium.

The site is `_build/site` (built now with tools/site.py if it is missing), or the
folder given by `--site PATH` or the environment variable `LBDL_SITE` (used as it is,
never built: a private build for a quick check).

Chromium runs with a font configuration of its own (the DejaVu fonts that matplotlib
ships, nothing else), so every machine shows the pages as a machine without any
Chinese font does: the Chinese text on screen can only come from the font the site
ships (tests/site/test_fonts.py)."""

from __future__ import annotations

import os
import shutil
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from importlib import util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SITE = ROOT / "_build" / "site"
CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")


def pytest_addoption(parser):
    parser.addoption("--site", default=os.environ.get("LBDL_SITE"),
                     help="built site to check (default: _build/site, built if missing; env LBDL_SITE)")


@pytest.fixture(scope="session")
def site(request) -> Path:
    """The built site."""
    given = request.config.getoption("--site")
    if given:
        folder = Path(given).resolve()
        if not (folder / "en" / "index.html").exists() or not (folder / "zh" / "index.html").exists():
            pytest.fail(f"{folder} is not a built site (no en/index.html and zh/index.html)")
        return folder
    if not (DEFAULT_SITE / "en" / "index.html").exists() or not (DEFAULT_SITE / "zh" / "index.html").exists():
        spec = util.spec_from_file_location("book_site", ROOT / "tools" / "site.py")
        builder = util.module_from_spec(spec)
        spec.loader.exec_module(builder)
        builder.main([])
    return DEFAULT_SITE


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def base_url(site):
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def latin_only_fontconfig(folder: Path) -> Path:
    """A fontconfig file that offers the browser matplotlib's DejaVu fonts and nothing
    else: no Chinese font, whatever the machine has installed."""
    import matplotlib

    fonts = folder / "fonts"
    fonts.mkdir(parents=True, exist_ok=True)
    for font in (Path(matplotlib.get_data_path()) / "fonts" / "ttf").glob("DejaVu*.ttf"):
        shutil.copy(font, fonts / font.name)
    aliases = "\n".join(
        f"  <alias><family>{generic}</family><prefer><family>{family}</family></prefer></alias>"
        for generic, family in [("sans-serif", "DejaVu Sans"), ("system-ui", "DejaVu Sans"),
                                ("serif", "DejaVu Serif"), ("monospace", "DejaVu Sans Mono")])
    config = folder / "fonts.conf"
    config.write_text(f"""<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<fontconfig>
  <dir>{fonts}</dir>
  <cachedir>{folder / "cache"}</cachedir>
{aliases}
</fontconfig>
""", encoding="utf-8")
    return config


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.fail("headless Chromium and chromedriver are needed: run `make browser`")
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1280,900", "--force-device-scale-factor=1",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"):
        options.add_argument(flag)
    env = dict(os.environ, FONTCONFIG_FILE=str(latin_only_fontconfig(tmp_path_factory.mktemp("fontconfig"))))
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER, env=env), options=options)
    yield driver
    driver.quit()
