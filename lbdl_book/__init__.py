"""lbdl_book: the code of the interactive bilingual edition of *The Little Book of Deep
Learning* (F. Fleuret). Each module implements one topic of the book; the notebooks in
``book/en`` and ``book/zh`` import it rather than paste it.

The topic modules load when a page first uses them (``lbdl.nn``, ``lbdl.models``, …), so
a page imports only what it runs: it starts faster, and the notebook runner knows which
modules each page depends on (``tools/execute.py`` re-executes a page when one of them
changes).
"""

import importlib

from . import plot
from .config import apply_thread_policy, device, lang, pick, profile, seed_everything
from .i18n import t
from .source import show_source
from .train import fit

__version__ = "0.1.0"

TOPICS = (
    "autoregressive", "backprop", "compute", "data", "diagrams", "figures", "losses", "models", "nn", "optim",
    "scale", "schedules", "tensors", "tokenizer", "widgets",
)

__all__ = [
    *TOPICS, "plot", "train",
    "device", "lang", "pick", "profile", "seed_everything", "t", "show_source", "fit",
    "environment",
]

plot.use_style()
apply_thread_policy()


def __getattr__(name: str):
    """Load a topic module on first use: ``lbdl.nn`` imports ``lbdl_book.nn``."""
    if name in TOPICS:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'lbdl_book' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def environment() -> dict[str, str]:
    """What the demos will use here: device, profile, language and library versions."""
    import torch

    return {
        "lbdl_book": __version__,
        "torch": torch.__version__,
        "device": str(device()),
        "profile": profile(),
        "language": lang(),
        "threads": str(torch.get_num_threads()),
    }
