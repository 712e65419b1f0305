from importlib import util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "_build" / "site"


@pytest.fixture(scope="session")
def site() -> Path:
    """The built site; built now (tools/site.py) if it is missing."""
    if not (SITE / "en" / "index.html").exists() or not (SITE / "zh" / "index.html").exists():
        spec = util.spec_from_file_location("book_site", ROOT / "tools" / "site.py")
        builder = util.module_from_spec(spec)
        spec.loader.exec_module(builder)
        builder.main([])
    return SITE
