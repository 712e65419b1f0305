"""Shipped weights (lbdl_book.weights, tools/weights.py): safetensors files that round-trip,
and recipes whose quick version runs and builds the model the shipped file fits."""

import json

import pytest
import torch

from lbdl_book import weights
from lbdl_book.nn.linear import Linear


def test_save_and_load_round_trip_with_the_info(tmp_path):
    model = Linear(3, 2)
    path = weights.save(model, "tiny", {"psnr": 31.5, "steps": 10}, folder=tmp_path)
    assert path == tmp_path / "tiny.safetensors" and path.read_bytes()[:8]   # a safetensors file, not a pickle
    header = json.loads(path.read_bytes()[8:8 + int.from_bytes(path.read_bytes()[:8], "little")])
    assert set(header) == {"__metadata__", "weight", "bias"}
    other = Linear(3, 2)
    assert weights.load(other, "tiny", folder=tmp_path) == {"psnr": 31.5, "steps": 10}
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), other.state_dict().values()))
    assert weights.metadata("tiny", folder=tmp_path)["steps"] == 10


def test_load_is_strict_and_names_are_checked(tmp_path):
    weights.save(Linear(3, 2), "tiny", {}, folder=tmp_path)
    with pytest.raises(RuntimeError, match="size mismatch"):
        weights.load(Linear(4, 2), "tiny", folder=tmp_path)
    with pytest.raises(ValueError, match="no weights"):
        weights.load(Linear(3, 2), "absent", folder=tmp_path)
    with pytest.raises(ValueError, match="name"):
        weights.save(Linear(3, 2), "../escape", {}, folder=tmp_path)
    with pytest.raises(TypeError, match="info"):
        weights.save(Linear(3, 2), "tiny", "info", folder=tmp_path)


@pytest.mark.parametrize("name", sorted(weights.RECIPES))
def test_each_recipe_runs_quickly_and_its_shipped_file_fits_the_model(name, tmp_path):
    """The quick version of the recipe trains a few steps (what `make weights` runs in
    full), and the weights shipped in the package load into the model it builds."""
    model, info = weights.recipe(name)(quick=True)
    assert isinstance(info, dict) and json.dumps(info)
    weights.save(model, name, info, folder=tmp_path)
    weights.load(model, name, folder=tmp_path)
    shipped = weights.load(model, name)
    assert shipped["quick"] is False, f"the shipped {name} weights come from a quick run: run `make weights`"


def test_every_shipped_file_has_a_recipe_and_the_files_are_small():
    files = sorted(weights.FOLDER.glob("*.safetensors")) if weights.FOLDER.exists() else []
    assert {f.stem for f in files} == set(weights.RECIPES)
    assert sum(f.stat().st_size for f in files) < 6 * 2**20      # "a few MB in all" (DESIGN rule 12)
    assert max(f.stat().st_size for f in files) < 2**20             # none above 1 MiB: small models, float16


def test_the_shipped_files_a_process_reads_are_listed_for_the_build(tmp_path):
    """tools/nbrecord.py records them as the page's dependencies: retraining one weights
    file re-executes the pages that load it, and only those."""
    weights.save(Linear(3, 2), "tiny", {}, folder=tmp_path)
    weights.load(Linear(3, 2), "tiny", folder=tmp_path)
    assert str(tmp_path / "tiny.safetensors") not in weights.files_used()   # scratch folders are not the book's
    name = sorted(weights.RECIPES)[0]
    weights.metadata(name)
    assert str(weights.FOLDER / f"{name}.safetensors") in weights.files_used()
