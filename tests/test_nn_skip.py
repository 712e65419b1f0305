"""Skip connections (§4.7): the residual and concatenation wrappers, the demo networks
and the per-layer gradient norms.

There is no PyTorch module to compare with: the tests check the definitions
(y = x + f(x), y = concat(x, f(x))), the Jacobian I + ∂f/∂x computed by autograd, and
the gradient norms against ``.grad`` after an ordinary ``backward``. Where both sides are
the very same operations on the same tensors (the Jacobian of x + f(x) against I + ∂f/∂x,
a residual block against x + its branch, the norms against ``.grad``) they are compared
bit for bit; where the sums differ, with the rounding bound of tests/_bounds.py.
"""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from _bounds import assert_within, gamma, multilinear
from lbdl_book.losses import cross_entropy
from lbdl_book.nn import skip
from lbdl_book.nn.activations import ReLU
from lbdl_book.nn.linear import Linear
from lbdl_book.nn.norm import BatchNorm1d, LayerNorm
from lbdl_book.nn.skip import ConcatSkip, Residual, plain_mlp, residual_mlp, weight_gradient_norms


def generator(seed=0):
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("shape", [(5, 8), (3, 4, 8), (2, 8, 8)])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_residual_is_x_plus_f_of_x(shape, dtype):
    torch.manual_seed(0)
    branch = nn.Sequential(nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 8)).to(dtype)
    block = Residual(branch)
    x = torch.randn(shape, dtype=dtype)
    y = block(x)
    assert y.shape == x.shape and y.dtype == dtype
    assert torch.equal(y, x + branch(x))                 # the very same operations
    # the parameters are the branch's, under the name "branch."
    assert list(block.state_dict()) == [f"branch.{k}" for k in branch.state_dict()]
    assert sum(p.numel() for p in block.parameters()) == sum(p.numel() for p in branch.parameters())


def test_residual_jacobian_is_identity_plus_branch_jacobian():
    torch.manual_seed(1)
    branch = nn.Sequential(nn.Linear(6, 6), nn.Tanh(), nn.Linear(6, 6)).double()
    x = torch.randn(6, dtype=torch.float64)
    jacobian = torch.autograd.functional.jacobian(Residual(branch), x)
    branch_jacobian = torch.autograd.functional.jacobian(branch, x)
    # row i of both: the branch's vector-Jacobian product for e_i, plus e_i: the same
    # operations (autograd adds the identity path's e_i to the branch's gradient), bit for bit
    assert torch.equal(jacobian, torch.eye(6, dtype=torch.float64) + branch_jacobian)


def test_gradient_flows_through_the_identity_even_when_the_branch_kills_it():
    # a branch whose gradient is zero (a ReLU that is off everywhere): the residual block
    # still passes the upstream gradient unchanged, a plain block passes nothing
    dead = nn.Linear(4, 4).double()
    with torch.no_grad():
        dead.weight.zero_()
        dead.bias.fill_(-1.0)
    branch = nn.Sequential(dead, nn.ReLU())
    x = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    upstream = torch.randn(3, 4, dtype=torch.float64)
    (through_residual,) = torch.autograd.grad(Residual(branch)(x), x, upstream)
    (through_branch,) = torch.autograd.grad(branch(x), x, upstream)
    assert torch.equal(through_residual, upstream)
    assert torch.equal(through_branch, torch.zeros_like(upstream))
    # and gradients still reach the parameters of an earlier layer through a stack of such blocks
    first = nn.Linear(4, 4).double()
    stack = nn.Sequential(first, *[Residual(nn.Sequential(nn.Linear(4, 4), nn.ReLU())).double() for _ in range(3)])
    for block in stack[1:]:
        with torch.no_grad():
            block.branch[0].weight.zero_()
            block.branch[0].bias.fill_(-1.0)
    stack(x).sum().backward()
    assert first.weight.grad.abs().sum() > 0
    ones = torch.ones(3, 4, dtype=torch.float64)           # the upstream reaching `first`: exactly 1 + 0 + 0 + 0
    assert_within(first.weight.grad, ones.T @ x.detach(), multilinear(lambda g, v: g.T @ v, (ones, x)))


def test_residual_errors():
    with pytest.raises(TypeError, match="branch must be a torch.nn.Module, got function"):
        Residual(lambda x: x)
    block = Residual(nn.Linear(4, 3))
    with pytest.raises(ValueError, match=r"keep the shape of its input .* input \(2, 4\), branch output \(2, 3\)"):
        block(torch.zeros(2, 4))
    # no silent broadcasting: a (B, 1) branch output is refused too
    with pytest.raises(ValueError, match=r"input \(2, 4\), branch output \(2, 1\)"):
        Residual(nn.Linear(4, 1))(torch.zeros(2, 4))


def test_concat_skip():
    torch.manual_seed(2)
    branch = nn.Conv2d(3, 5, kernel_size=3, padding=1)
    block = ConcatSkip(branch)
    x = torch.randn(2, 3, 6, 6)
    y = block(x)
    assert y.shape == (2, 8, 6, 6)
    assert torch.equal(y[:, :3], x) and torch.equal(y[:, 3:], branch(x))
    # along the last dimension of a (B, T, D) sequence
    seq_branch = nn.Linear(4, 2)
    s = torch.randn(3, 7, 4)
    assert torch.equal(ConcatSkip(seq_branch, dim=-1)(s), torch.cat([s, seq_branch(s)], dim=2))
    # concatenation followed by a linear layer can do what addition does: [A, A] (x, f(x)) = A (x + f(x))
    f = nn.Linear(4, 4).double()
    after = nn.Linear(8, 4).double()
    a = torch.randn(4, 4, dtype=torch.float64)
    with torch.no_grad():
        after.weight.copy_(torch.cat([a, a], dim=1))
    v = torch.randn(5, 4, dtype=torch.float64)
    # left: 8 products and the bias (γ₉); right: 4 sums v + f(v) (u each), 4 products and the
    # bias (γ₅): both within γ₉·(|v| + |f(v)|)|A|ᵀ + |b| of [A, A] (v, f(v)) + b
    fv = f(v).detach()
    assert_within(after(ConcatSkip(f)(v)), (v + f(v)) @ a.T + after.bias,
                  2 * gamma(9, torch.float64) * ((v.abs() + fv.abs()) @ a.abs().T + after.bias.abs()))
    assert block.extra_repr() == "dim=1"


def test_concat_skip_errors():
    with pytest.raises(ValueError, match=r"may only change dimension 1 .* input \(2, 3, 6, 6\), branch output "
                                         r"\(2, 5, 3, 3\)"):
        ConcatSkip(nn.Conv2d(3, 5, kernel_size=2, stride=2))(torch.zeros(2, 3, 6, 6))
    with pytest.raises(ValueError, match=r"dim=3 is out of range for an input x of shape \(2, 4\)"):
        ConcatSkip(nn.Identity(), dim=3)(torch.zeros(2, 4))
    with pytest.raises(TypeError, match="dim must be an int, got float"):
        ConcatSkip(nn.Identity(), dim=1.0)
    with pytest.raises(TypeError, match="branch must be a torch.nn.Module"):
        ConcatSkip(None)


@pytest.mark.parametrize("norm", [None, "layer", "batch"])
def test_plain_and_residual_mlp_have_the_same_layers(norm):
    plain = plain_mlp(6, 16, 10, 3, norm=norm)
    res = residual_mlp(6, 16, 10, 3, norm=norm)
    # same parameter shapes; the residual net only wraps the 4 hidden blocks
    assert [p.shape for p in plain.parameters()] == [p.shape for p in res.parameters()]
    assert sum(isinstance(m, Linear) for m in plain.modules()) == 6             # the book's layers, not torch.nn's
    assert sum(isinstance(m, ReLU) for m in plain.modules()) == 5
    assert not any(isinstance(m, (nn.Linear, nn.ReLU)) for m in (*plain.modules(), *res.modules()))
    assert sum(isinstance(m, Residual) for m in res.modules()) == 4
    assert not any(isinstance(m, Residual) for m in plain.modules())
    assert sum(isinstance(m, {"layer": LayerNorm, "batch": BatchNorm1d}.get(norm, type(None)))
               for m in plain.modules()) == (5 if norm else 0)
    # with the same weights, the residual net computes the plain blocks plus the identity
    res_state = {k.replace(".branch", ""): v for k, v in res.state_dict().items()}
    plain.load_state_dict(res_state)
    x = torch.randn(8, 10)
    h_plain, h_res = plain[0](x), res[0](x)
    assert torch.equal(h_plain, h_res)
    for p_block, r_block in zip(plain[1:-1], res[1:-1]):
        assert torch.equal(r_block(h_res), h_res + p_block(h_res))          # the same operations
        h_res = r_block(h_res)
    assert res(x).shape == plain(x).shape == (8, 3)


def test_mlp_initialisations():
    torch.manual_seed(3)
    default = plain_mlp(4, 512, 512, 2)
    he = plain_mlp(4, 512, 512, 2, init="he")
    w_default, w_he = default[1][-1].weight, he[1][-1].weight
    # PyTorch's default: U(−1/√n, 1/√n), variance 1/(3n); He: N(0, 2/n). The variance of N
    # draws has a relative standard error of √(0.8/N) (uniform) or √(2/N) (Gaussian): 5 of them
    n = w_default.numel()
    assert abs(w_default.var().item() * 3 * 512 - 1) < 5 * (0.8 / n) ** 0.5
    assert abs(w_he.var().item() * 512 / 2 - 1) < 5 * (2 / n) ** 0.5
    assert w_default.abs().max() <= 1 / 512**0.5 and torch.equal(he[1][-1].bias, torch.zeros(512))


def test_mlp_errors():
    with pytest.raises(ValueError, match="depth must be an int >= 3, got 2"):
        plain_mlp(2, 8, 4, 2)
    with pytest.raises(ValueError, match="width must be an int >= 1, got 0"):
        residual_mlp(5, 0, 4, 2)
    with pytest.raises(ValueError, match="norm must be None, 'layer' or 'batch', got 'group'"):
        residual_mlp(5, 8, 4, 2, norm="group")
    with pytest.raises(ValueError, match="init must be 'default' .* or 'he', got 'xavier'"):
        plain_mlp(5, 8, 4, 2, init="xavier")


def test_weight_gradient_norms_match_backward():
    torch.manual_seed(4)
    model = residual_mlp(5, 12, 6, 3, norm="layer").double()
    x, target = torch.randn(10, 6, dtype=torch.float64), torch.randint(0, 3, (10,))
    norms = weight_gradient_norms(model, x, target)
    assert norms.shape == (5,)
    assert all(p.grad is None for p in model.parameters())          # .grad left untouched
    # the default loss is the book's cross-entropy: the very same computation as passing it
    assert torch.equal(norms, weight_gradient_norms(model, x, target, loss_fn=cross_entropy))
    # against .grad after backward with PyTorch's loss: the same operations, bit for bit
    torch_norms = weight_gradient_norms(model, x, target, loss_fn=F.cross_entropy)
    F.cross_entropy(model(x), target).backward()
    expected = torch.stack([m.weight.grad.norm() for m in model.modules() if isinstance(m, Linear)])
    assert torch.equal(torch_norms, expected)     # (the two losses agree: tests/test_losses.py)
    # another loss
    y = torch.randn(10, 3, dtype=torch.float64)
    mse_norms = weight_gradient_norms(model, x, y, loss_fn=lambda out, t: ((out - t) ** 2).mean())
    assert mse_norms.shape == (5,) and not torch.allclose(mse_norms, norms)


def test_residual_connections_keep_the_gradient_of_a_deep_net():
    """The claim of §4.7 at a size a unit test can afford: 30 layers of PyTorch's default
    initialisation. Plain: the gradient of the first layer is many orders of magnitude
    below that of the last. Residual: all within a factor of 10."""
    g = generator(5)
    x, target = torch.randn(64, 20, generator=g), torch.randint(0, 4, (64,), generator=g)
    torch.manual_seed(5)
    plain = weight_gradient_norms(plain_mlp(30, 32, 20, 4), x, target)
    torch.manual_seed(5)
    res = weight_gradient_norms(residual_mlp(30, 32, 20, 4), x, target)
    assert plain[0] / plain[-1] < 1e-6
    assert res.max() / res.min() < 10


def test_weight_gradient_norms_errors():
    with pytest.raises(ValueError, match="model has no weight matrix"):
        weight_gradient_norms(nn.ReLU(), torch.zeros(2, 3), torch.zeros(2, dtype=torch.long))
    with pytest.raises(ValueError, match=r"loss_fn must return a scalar \(0-d\) tensor, got \(2, 3\)"):
        weight_gradient_norms(nn.Linear(3, 3), torch.zeros(2, 3), torch.zeros(2, 3), loss_fn=lambda o, t: o - t)
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        weight_gradient_norms(None, torch.zeros(2, 3), torch.zeros(2))
    assert cross_entropy is skip.cross_entropy                  # the default loss is the book's


def test_module_exports():
    assert sorted(skip.__all__) == ["ConcatSkip", "Residual", "plain_mlp", "residual_mlp", "weight_gradient_norms"]
