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


def test_fit_follows_a_schedule_and_clips():
    from functools import partial

    from lbdl_book.schedules import cosine_annealing, schedule_values
    x, y = linear_problem(64)
    model = nn.Linear(3, 1)
    schedule = partial(cosine_annealing, lr=0.1, total_steps=8)
    history = lbdl.fit(model, F.mse_loss, (x, y), epochs=4, lr=0.1, batch_size=32, schedule=schedule,
                       grad_clip=0.5, progress=False)
    # two steps per epoch: the rate logged for epoch e is the one of step 2e + 1
    expected = schedule_values(schedule, 8)[1::2]
    assert history["lr"] == pytest.approx(expected.tolist())
    # with clipping, each step moves the parameters by at most lr * 0.5
    reference = nn.Linear(3, 1)
    before = torch.cat([p.detach().flatten() for p in reference.parameters()])
    lbdl.fit(reference, F.mse_loss, (100 * x, 100 * y), epochs=1, lr=0.1, grad_clip=0.5, progress=False)
    after = torch.cat([p.detach().flatten() for p in reference.parameters()])
    assert (after - before).norm() <= 0.1 * 0.5 + 1e-6


def test_fit_stops_early_and_restores_the_best_epoch():
    from lbdl_book.schedules import EarlyStopping
    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(12, 20, generator=g), torch.randn(12, 1, generator=g)   # pure noise
    xv, yv = torch.randn(200, 20, generator=g), torch.randn(200, 1, generator=g)
    model = nn.Sequential(nn.Linear(20, 256), nn.ReLU(), nn.Linear(256, 1))
    stopper = EarlyStopping(patience=5)
    history = lbdl.fit(model, F.mse_loss, (x, y), epochs=500, lr=0.01, optimizer="adam", val_data=(xv, yv),
                       early_stopping=stopper, progress=False)
    assert stopper.stopped_epoch == len(history["train_loss"]) < 500
    best = min(history["val_loss"])
    assert history["val_loss"][stopper.best_epoch - 1] == best
    assert evaluate(model, F.mse_loss, (xv, yv))["loss"] == pytest.approx(best, rel=1e-5)


def test_fit_rejects_bad_options():
    from lbdl_book.schedules import EarlyStopping
    x, y = linear_problem(16)
    with pytest.raises(ValueError, match="early_stopping needs val_data"):
        lbdl.fit(nn.Linear(3, 1), F.mse_loss, (x, y), epochs=1, lr=0.1, early_stopping=EarlyStopping())
    with pytest.raises(ValueError, match="grad_clip"):
        lbdl.fit(nn.Linear(3, 1), F.mse_loss, (x, y), epochs=1, lr=0.1, grad_clip=0.0)
    with pytest.raises(TypeError, match="schedule"):
        lbdl.fit(nn.Linear(3, 1), F.mse_loss, (x, y), epochs=1, lr=0.1, schedule=0.1)
    with pytest.raises(ValueError, match="amp=True needs a CUDA device"):
        lbdl.fit(nn.Linear(3, 1), F.mse_loss, (x, y), epochs=1, lr=0.1, amp=True, device="cpu")
