"""Where the demos run and in which language they speak.

* ``device()``: the accelerator PyTorch should use (CUDA, then Apple MPS, else CPU).
* ``profile()``: ``"cpu"`` (small demos, what CI and laptops run) or ``"gpu"`` (bigger
  demos, chosen automatically when CUDA is present).
* ``seed_everything()``: one call that makes a demo repeatable.
* ``lang()``: ``"en"`` or ``"zh"``, the language of figure labels and printed text.
* ``show_progress()``: whether training loops draw progress bars.
* ``threads()``: how many CPU threads PyTorch uses, set once for every page when
  ``lbdl_book`` is imported (the one thread policy of the book).

Each choice can be forced with an environment variable: ``LBDL_DEVICE``,
``LBDL_PROFILE``, ``LBDL_LANG``, ``LBDL_PROGRESS`` and ``LBDL_THREADS``.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import torch

LANGUAGES = ("en", "zh")
PROFILES = ("cpu", "gpu")


def _env_choice(name: str, allowed: tuple[str, ...]) -> str | None:
    """The value of environment variable ``name`` if set, checked against ``allowed``."""
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return None
    if value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
    return value


def device() -> torch.device:
    """The device demos run on: ``LBDL_DEVICE`` if set, else CUDA, then MPS, then CPU."""
    forced = os.environ.get("LBDL_DEVICE", "").strip()
    if forced:
        try:
            return torch.device(forced)
        except RuntimeError as error:
            raise ValueError(f"LBDL_DEVICE={forced!r} is not a valid torch device") from error
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def profile() -> str:
    """``"gpu"`` when CUDA is the device, else ``"cpu"``; ``LBDL_PROFILE`` overrides.

    Demos read their sizes from a pair of settings keyed by this value, e.g.
    ``pick(cpu=2_000, gpu=50_000)``.
    """
    return _env_choice("LBDL_PROFILE", PROFILES) or ("gpu" if device().type == "cuda" else "cpu")


def pick(*, cpu, gpu):
    """The setting of the current :func:`profile`: ``pick(cpu=200, gpu=5000)``."""
    return gpu if profile() == "gpu" else cpu


def seed_everything(seed: int = 0) -> None:
    """Seed Python, NumPy and PyTorch (all devices) so a demo gives the same numbers.

    Returns nothing, so that a page's first cell leaves no stray output."""
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    if not 0 <= seed < 2**32:
        raise ValueError(f"seed must be in [0, 2**32), got {seed}")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device


def lang() -> str:
    """The reader's language, ``"en"`` or ``"zh"``.

    ``LBDL_LANG`` if set; otherwise a notebook that lives under a ``zh`` folder (its
    Jupyter session path, or the kernel's working directory, which Jupyter, nbval and
    Jupyter Book all set to the notebook's folder) speaks Chinese; otherwise English.
    """
    forced = _env_choice("LBDL_LANG", LANGUAGES)
    if forced:
        return forced
    where = os.environ.get("JPY_SESSION_NAME") or os.getcwd()
    return "zh" if "zh" in Path(where).parts else "en"


def show_progress() -> bool:
    """Progress bars on, unless ``LBDL_PROGRESS=0`` (set by the book build and the
    notebook tests, where a frozen bar would only clutter the saved output)."""
    return _env_choice("LBDL_PROGRESS", ("0", "1")) != "0"


def threads() -> int:
    """The number of CPU threads PyTorch should use: ``LBDL_THREADS`` if set, else all
    the cores PyTorch sees by default.

    The notebook runner (``tools/execute.py``) runs several pages at once and sets
    ``LBDL_THREADS`` so that their threads together match the cores: more threads than
    cores make OpenMP threads wait for each other and small tensor operations run
    several times slower. A reader running one page alone gets every core.
    """
    value = os.environ.get("LBDL_THREADS", "").strip()
    if not value:
        return torch.get_num_threads()
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"LBDL_THREADS must be a positive integer, got {value!r}")
    return int(value)


def apply_thread_policy() -> int:
    """Set PyTorch's intra-op thread count to :func:`threads` and return it (called once
    when ``lbdl_book`` is imported; pages never set threads themselves)."""
    count = threads()
    if torch.get_num_threads() != count:
        torch.set_num_threads(count)
    return count
