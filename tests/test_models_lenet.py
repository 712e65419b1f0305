"""The LeNet-like model of Figure 5.2: shapes, exact parameter counts, equality with the
same network written with torch.nn, errors.

Tolerances. The reference below is the same composition written with ``torch.nn``
layers, run in float64 with identical weights: the two differ only in the order of the
floating-point sums inside the convolutions (im2col + matrix product against PyTorch's
kernels), so they agree up to rounding: `_bounds.chain`, 2 · stages · γ_n · max|reference|
with the stages and the longest sum n counted from the architecture below (a wrong stride
or a transposed weight changes the output by O(1)).
"""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import lbdl_book.nn
from _bounds import assert_within, chain
from lbdl_book.models.lenet import LeNet, layer_table, lenet_shapes

# Forward: 4 sums (two convolutions, two linear layers; pooling and ReLU select, exactly);
# backward: the softmax of the loss, then 2 sums per layer. The longest sum: conv 1's
# weight gradient, over the batch (4) and its 24 × 24 positions.
STAGES = {"value": 4, "gradient": 4 + 1 + 2 * 4}
TERMS = max(32 * 5 * 5 + 1, 256 + 1, 4 * 24 * 24)


def torch_reference(model: LeNet) -> nn.Sequential:
    """The network of Figure 5.2 from torch.nn layers, with ``model``'s weights."""
    reference = nn.Sequential(
        nn.Conv2d(1, 32, 5), nn.MaxPool2d(3), nn.ReLU(), nn.Conv2d(32, 64, 5), nn.MaxPool2d(2), nn.ReLU(),
        nn.Flatten(), nn.Linear(256, 200), nn.ReLU(), nn.Linear(200, 10)).to(torch.float64)
    ours = [m for m in model.modules() if list(m.parameters(recurse=False))]
    theirs = [m for m in reference.modules() if list(m.parameters(recurse=False))]
    for a, b in zip(ours, theirs, strict=True):
        b.load_state_dict(a.state_dict())
    return reference


def test_exact_parameter_count_of_figure_5_2():
    model = LeNet()
    counts = [sum(p.numel() for p in m.parameters(recurse=False)) for m in model.modules()]
    assert [c for c in counts if c] == [832, 51_264, 51_400, 2_010]
    # 32·(1·5·5) + 32, 64·(32·5·5) + 64, 200·256 + 200, 10·200 + 10
    assert [32 * 25 + 32, 64 * 32 * 25 + 64, 200 * 256 + 200, 10 * 200 + 10] == [832, 51_264, 51_400, 2_010]
    assert sum(p.numel() for p in model.parameters()) == 105_506


def test_shapes_of_figure_5_2():
    assert lenet_shapes() == [(32, 24, 24), (32, 8, 8), (64, 4, 4), (64, 2, 2)]
    rows = layer_table(LeNet(), torch.zeros(3, 1, 28, 28))
    assert [r[2] for r in rows] == [(32, 24, 24), (32, 8, 8), (32, 8, 8), (64, 4, 4), (64, 2, 2), (64, 2, 2),
                                    (256,), (200,), (200,), (10,)]
    assert [r[1] for r in rows] == ["conv-2d k=5", "maxpool k=3", "relu", "conv-2d k=5", "maxpool k=2", "relu",
                                    "reshape", "fully-conn", "relu", "fully-conn"]
    assert sum(r[3] for r in rows) == 105_506
    # multiply-adds per image: 32·24·24·25, 64·4·4·(32·25), 200·256, 10·200
    assert [r[4] for r in rows if r[4]] == [460_800, 819_200, 51_200, 2_000]
    for n in (1, 5):
        assert LeNet()(torch.randn(n, 1, 28, 28)).shape == (n, 10)


def test_built_from_lbdl_book_nn():
    for module in LeNet().modules():
        if not list(module.children()) and not isinstance(module, nn.Flatten):   # leaves, the reshape apart
            assert type(module).__module__.startswith(lbdl_book.nn.__name__), type(module)


@pytest.mark.parametrize("fused", [False, True], ids=["book", "fused"])   # the book's computations, and the fast path
def test_equals_the_same_network_written_with_torch_nn_values_and_gradients(fused):
    torch.manual_seed(0)
    model = LeNet(fused=fused).to(torch.float64)
    reference = torch_reference(model)
    x = torch.randn(4, 1, 28, 28, dtype=torch.float64)
    target = torch.tensor([0, 3, 7, 9])
    ours, theirs = model(x), reference(x)
    assert_within(ours, theirs, chain(theirs, stages=STAGES["value"], terms=TERMS))
    F.cross_entropy(ours, target).backward()
    F.cross_entropy(theirs, target).backward()
    grads = [p.grad for p in model.parameters()]
    reference_grads = [p.grad for p in reference.parameters()]
    for g, h in zip(grads, reference_grads, strict=True):
        assert_within(g, h, chain(h, stages=STAGES["gradient"], terms=TERMS))


def test_pooling_then_relu_equals_relu_then_pooling():
    # ReLU is non-decreasing, so it commutes with a maximum: the order of Figure 5.2
    # (pool, then ReLU on 9 times fewer values) computes the same function.
    torch.manual_seed(1)
    model = LeNet().to(torch.float64)
    swapped = LeNet().to(torch.float64)
    swapped.load_state_dict(model.state_dict())
    f = swapped.features
    swapped.features = nn.Sequential(f[0], f[2], f[1], f[3], f[5], f[4], f[6])
    x = torch.randn(6, 1, 28, 28, dtype=torch.float64)
    assert torch.equal(model(x), swapped(x))


def test_a_smaller_configuration_for_8x8_images():
    model = LeNet(image_size=8, channels=(16, 32), kernel_size=3, pool_sizes=(2, 1), hidden=64)
    assert lenet_shapes(8, (16, 32), 3, (2, 1)) == [(16, 6, 6), (16, 3, 3), (32, 1, 1), (32, 1, 1)]
    assert model(torch.randn(2, 1, 8, 8)).shape == (2, 10)
    # 16·9 + 16, 32·16·9 + 32, 64·32 + 64, 10·64 + 10
    assert sum(p.numel() for p in model.parameters()) == 160 + 4_640 + 2_112 + 650


def test_it_learns():
    # A few steps of Adam on 16 random images with fixed labels: the loss must fall.
    torch.manual_seed(0)
    model = LeNet()
    x, y = torch.randn(16, 1, 28, 28), torch.randint(0, 10, (16,))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    losses = []
    for _ in range(20):
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0], losses


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"image_size": 6}, r"image_size=6 is too small: max pooling 1 gets a 2×2 input, smaller than its kernel size 3"),
    ({"image_size": 12}, r"image_size=12 is too small: convolution 2 gets a 2×2 input, smaller than its "
                         r"kernel_size=5"),
    ({"image_size": 4}, r"convolution 1 gets a 4×4 input"),
    ({"image_size": 0}, "image_size must be a positive int, got 0"),
    ({"channels": (32,)}, "channels and pool_sizes must be non-empty and of the same length"),
    ({"channels": (32, 0)}, "each entry of channels must be a positive int, got 0"),
    ({"pool_sizes": (3, 0)}, "each entry of pool_sizes must be a positive int, got 0"),
    ({"num_classes": 0}, "num_classes must be a positive int, got 0"),
    ({"hidden": 2.5}, "hidden must be a positive int, got 2.5"),
])
def test_constructor_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        LeNet(**kwargs)


def test_input_errors():
    model = LeNet()
    with pytest.raises(ValueError, match=r"x must have shape \(N, 1, 28, 28\), got \(2, 1, 8, 8\)"):
        model(torch.zeros(2, 1, 8, 8))
    with pytest.raises(ValueError, match=r"got \(1, 28, 28\)"):
        model(torch.zeros(1, 28, 28))
    with pytest.raises(TypeError, match="x must be a torch.Tensor, got list"):
        model([[0.0]])
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        layer_table("LeNet", torch.zeros(1, 1, 28, 28))
    with pytest.raises(ValueError, match="example_input must be a tensor with a non-empty batch dimension"):
        layer_table(model, torch.zeros(0, 1, 28, 28))
