import os

import numpy as np
import pytest
import torch

import lbdl_book as lbdl
from lbdl_book import config


def test_device_defaults_to_what_torch_has(monkeypatch):
    monkeypatch.delenv("LBDL_DEVICE", raising=False)
    expected = "cuda" if torch.cuda.is_available() else None
    if expected:
        assert lbdl.device().type == expected
    else:
        assert lbdl.device().type in ("cpu", "mps")


def test_device_override(monkeypatch):
    monkeypatch.setenv("LBDL_DEVICE", "cpu")
    assert lbdl.device() == torch.device("cpu")
    monkeypatch.setenv("LBDL_DEVICE", "warp-drive")
    with pytest.raises(ValueError, match="LBDL_DEVICE"):
        lbdl.device()


def test_profile_follows_device_and_override(monkeypatch):
    monkeypatch.setenv("LBDL_DEVICE", "cpu")
    monkeypatch.delenv("LBDL_PROFILE", raising=False)
    assert lbdl.profile() == "cpu"
    assert lbdl.pick(cpu=1, gpu=2) == 1
    monkeypatch.setenv("LBDL_PROFILE", "gpu")
    assert lbdl.profile() == "gpu" and lbdl.pick(cpu=1, gpu=2) == 2
    monkeypatch.setenv("LBDL_PROFILE", "tpu")
    with pytest.raises(ValueError, match="LBDL_PROFILE must be one of"):
        lbdl.profile()


def test_seed_everything_repeats_every_generator():
    def draw():
        lbdl.seed_everything(123)
        return np.random.rand(), torch.rand(3)
    (a, x), (b, y) = draw(), draw()
    assert a == b and torch.equal(x, y)
    assert lbdl.seed_everything(0) is None      # no stray output at the top of a page
    with pytest.raises(TypeError):
        lbdl.seed_everything(1.5)
    with pytest.raises(ValueError):
        lbdl.seed_everything(-1)


@pytest.mark.parametrize(("cwd", "expected"), [("book/zh/ch01", "zh"), ("book/en/ch01", "en"), ("/tmp", "en")])
def test_lang_from_the_notebook_folder(monkeypatch, tmp_path, cwd, expected):
    monkeypatch.delenv("LBDL_LANG", raising=False)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    folder = tmp_path / cwd if not cwd.startswith("/") else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    monkeypatch.chdir(folder)
    assert lbdl.lang() == expected


def test_lang_prefers_variable_then_jupyter_session(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("JPY_SESSION_NAME", "/home/me/book/zh/preface.md")
    monkeypatch.delenv("LBDL_LANG", raising=False)
    assert lbdl.lang() == "zh"
    monkeypatch.setenv("LBDL_LANG", "en")
    assert lbdl.lang() == "en"
    monkeypatch.setenv("LBDL_LANG", "fr")
    with pytest.raises(ValueError, match="LBDL_LANG"):
        lbdl.lang()


def test_progress_switch(monkeypatch):
    monkeypatch.setenv("LBDL_PROGRESS", "0")
    assert not config.show_progress()
    monkeypatch.setenv("LBDL_PROGRESS", "1")
    assert config.show_progress()


def test_environment_reports_the_choices(monkeypatch):
    monkeypatch.setenv("LBDL_LANG", "zh")
    env = lbdl.environment()
    assert env["language"] == "zh" and env["torch"] == torch.__version__
    assert set(env) >= {"device", "profile", "lbdl_book"}
    assert os.environ["LBDL_LANG"] == "zh"


def test_thread_policy_reads_lbdl_threads(monkeypatch):
    before = torch.get_num_threads()
    try:
        monkeypatch.setenv("LBDL_THREADS", "1")
        assert config.threads() == 1 and config.apply_thread_policy() == 1 and torch.get_num_threads() == 1
        monkeypatch.delenv("LBDL_THREADS")
        assert config.threads() == torch.get_num_threads()
        for bad in ("0", "-2", "two", "1.5"):
            monkeypatch.setenv("LBDL_THREADS", bad)
            with pytest.raises(ValueError, match="LBDL_THREADS"):
                config.threads()
    finally:
        torch.set_num_threads(before)
