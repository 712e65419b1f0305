"""lbdl_book: the code of the interactive bilingual edition of *The Little Book of Deep
Learning* (F. Fleuret). Each module implements one topic of the book; the notebooks in
``book/en`` and ``book/zh`` import it rather than paste it."""

from . import (autoregressive, backprop, compute, data, diagrams, losses, models, nn, optim, plot, scale, schedules,
               tensors, tokenizer, train, widgets)
from .config import apply_thread_policy, device, lang, pick, profile, seed_everything
from .i18n import t
from .source import show_source
from .train import fit

__version__ = "0.1.0"

__all__ = [
    "autoregressive", "backprop", "compute", "data", "diagrams", "losses", "models", "nn", "optim", "plot", "scale",
    "schedules", "tensors", "tokenizer", "train", "widgets",
    "device", "lang", "pick", "profile", "seed_everything", "t", "show_source", "fit",
    "environment",
]

plot.use_style()
apply_thread_policy()


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
