import pytest
import torch
import torch.nn.functional as F
from torch import nn

import lbdl_book as lbdl
from lbdl_book.models import GaussianMixture
from lbdl_book.train import evaluate


def linear_problem(n=256):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 3, generator=g)
    return x, x @ torch.tensor([[1.0], [-2.0], [0.5]]) + 0.01 * torch.randn(n, 1, generator=g)


def test_fit_trains_and_records_history():
    x, y = linear_problem()
    model = nn.Linear(3, 1)
    history = lbdl.fit(model, F.mse_loss, (x, y), epochs=30, lr=0.1, batch_size=32,
                       val_data=(x, y), metrics={"mae": lambda o, t: (o - t).abs().mean()}, progress=False)
    assert len(history["train_loss"]) == 30 and "val_mae" in history
    assert history["train_loss"][-1] < 1e-3 < history["train_loss"][0]
    assert torch.allclose(model.weight, torch.tensor([[1.0, -2.0, 0.5]]), atol=0.01)
    assert history.last("val_loss") == pytest.approx(evaluate(model, F.mse_loss, (x, y))["loss"], rel=1e-5)


def test_fit_is_repeatable_and_handles_unsupervised_data():
    x, _ = linear_problem()
    def run():
        torch.manual_seed(0)
        model = GaussianMixture(2, 3)
        return lbdl.fit(model, lambda logp: -logp.mean(), (x,), epochs=5, lr=0.05,
                        batch_size=64, optimizer="adam", progress=False)["train_loss"]
    assert run() == run()


def test_full_batch_sgd_is_plain_gradient_descent():
    x, y = linear_problem(64)
    model = nn.Linear(3, 1)
    reference = nn.Linear(3, 1)
    reference.load_state_dict(model.state_dict())
    lbdl.fit(model, F.mse_loss, (x, y), epochs=3, lr=0.05, progress=False)
    for _ in range(3):
        loss = F.mse_loss(reference(x), y)
        grads = torch.autograd.grad(loss, list(reference.parameters()))
        with torch.no_grad():
            for p, g in zip(reference.parameters(), grads):
                p -= 0.05 * g
    for p, q in zip(model.parameters(), reference.parameters()):
        assert torch.allclose(p, q, atol=1e-6)


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    (dict(epochs=0), ValueError, "epochs"),
    (dict(lr=-1.0), ValueError, "lr"),
    (dict(batch_size=0), ValueError, "batch_size"),
    (dict(optimizer="lbfgs"), ValueError, "optimizer"),
])
def test_fit_rejects_bad_settings(kwargs, error, match):
    x, y = linear_problem(8)
    settings = dict(epochs=1, lr=0.1, progress=False) | kwargs
    with pytest.raises(error, match=match):
        lbdl.fit(nn.Linear(3, 1), F.mse_loss, (x, y), **settings)


def test_fit_rejects_bad_data_and_diverging_runs():
    x, y = linear_problem(8)
    with pytest.raises(TypeError, match="torch.nn.Module"):
        lbdl.fit(lambda v: v, F.mse_loss, (x, y), epochs=1, lr=0.1)
    with pytest.raises(ValueError, match="same length"):
        lbdl.fit(nn.Linear(3, 1), F.mse_loss, (x, y[:4]), epochs=1, lr=0.1)
    with pytest.raises(TypeError, match="tuple of tensors"):
        lbdl.fit(nn.Linear(3, 1), F.mse_loss, [x.tolist()], epochs=1, lr=0.1)
    with pytest.raises(FloatingPointError, match="learning rate"):
        lbdl.fit(nn.Linear(3, 1), F.mse_loss, (x * 1e20, y), epochs=5, lr=1e10, progress=False)
