"""Landmark models and datasets of LBDL §3.7 (Figure 3.7 and Table 3.1), shipped as data.

``landmark_models()`` reads ``training_compute.csv``: for each model of LBDL's Figure 3.7,
its publication date, domain (vision, language or other), training compute in FLOP,
number of parameters (when known) and where the number comes from. The compute is the
paper's own figure when the paper states one, otherwise the estimate of the Epoch AI
database of notable models (Sevilla et al.). These are published estimates, good to a
factor of about 2 (more for the entries marked speculative): reconstructing the compute
of a training run from a paper means guessing its utilisation, epochs or hardware.

``DATASETS`` is LBDL's Table 3.1: public datasets with their year, number of items and
size. The book writes the sizes as "Gb"/"Tb" but means bytes (150 GB for ImageNet).
"""

from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass
from importlib import resources

__all__ = ["BOOK_CHARACTERS", "DATASETS", "DOMAINS", "Dataset", "Landmark", "landmark_models"]

DOMAINS = ("vision", "language", "other")


@dataclass(frozen=True)
class Landmark:
    """One model of Figure 3.7; ``parameters`` is None when no count is published."""

    model: str
    date: datetime.date
    domain: str
    training_flop: float
    parameters: float | None
    source: str

    @property
    def year(self) -> float:
        """Publication date as a fractional year (2020-07-01 → 2020.5), for plotting."""
        start = datetime.date(self.date.year, 1, 1)
        length = (datetime.date(self.date.year + 1, 1, 1) - start).days
        return self.date.year + (self.date - start).days / length


def _landmark(row: dict, line: int) -> Landmark:
    where = f"training_compute.csv line {line}"
    if row["domain"] not in DOMAINS:
        raise ValueError(f"{where}: domain must be one of {DOMAINS}, got {row['domain']!r}")
    flop = float(row["training_flop"])
    if not flop > 0:
        raise ValueError(f"{where}: training_flop must be positive, got {flop}")
    if not row["source"].strip():
        raise ValueError(f"{where}: every row needs a source")
    return Landmark(row["model"], datetime.date.fromisoformat(row["date"]), row["domain"], flop,
                    float(row["parameters"]) if row["parameters"] else None, row["source"])


def landmark_models() -> list[Landmark]:
    """The rows of ``training_compute.csv``, in date order."""
    text = resources.files(__package__).joinpath("training_compute.csv").read_text(encoding="utf-8")
    rows = [_landmark(row, line) for line, row in enumerate(csv.DictReader(io.StringIO(text)), start=2)]
    return sorted(rows, key=lambda r: r.date)


# A "book" in Table 3.1: 250 pages of 2000 characters.
BOOK_CHARACTERS = 250 * 2000


@dataclass(frozen=True)
class Dataset:
    """A row of Table 3.1: ``count`` items (images, or book equivalents) in ``size_bytes``."""

    name: str
    year: int
    kind: str          # "images" or "books"
    count: float
    size_bytes: float

    @property
    def bytes_per_item(self) -> float:
        return self.size_bytes / self.count


DATASETS = (
    Dataset("ImageNet", 2012, "images", 1.2e6, 150e9),
    Dataset("Cityscape", 2016, "images", 25e3, 60e9),
    Dataset("LAION-5B", 2022, "images", 5.8e9, 240e12),
    Dataset("WMT-18-de-en", 2018, "books", 14e6, 8e9),
    Dataset("The Pile", 2020, "books", 1.6e9, 825e9),
    Dataset("OSCAR", 2020, "books", 12e9, 6e12),
)
