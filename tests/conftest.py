import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))


@pytest.fixture
def language(monkeypatch):
    """Set the reader's language for one test: ``language("zh")``."""
    def set_language(lang):
        monkeypatch.setenv("LBDL_LANG", lang)
    return set_language
