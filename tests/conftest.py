import os
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


@pytest.fixture(autouse=True, scope="session")
def one_thread_per_worker():
    """The unit tests run in two pytest-xdist workers on a 2-core machine, on small
    tensors: one thread per worker avoids the threads of the two workers fighting.
    ``LBDL_THREADS`` (the book's thread policy) overrides it, so that
    ``tools/cpu_paths.py`` can also run the suite through PyTorch's multi-threaded
    kernels, whose reductions split the sums differently."""
    import torch

    from lbdl_book import config

    threads = torch.get_num_threads()
    torch.set_num_threads(config.threads() if os.environ.get("LBDL_THREADS", "").strip() else 1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(autouse=True)
def close_figures():
    """Close every matplotlib figure a test leaves open, so that tests which check for
    open figures (tests/test_widgets.py) do not depend on which test ran before them
    in the same worker."""
    yield
    import matplotlib.pyplot as plt

    plt.close("all")
