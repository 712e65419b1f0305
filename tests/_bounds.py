"""Tolerances computed from the computation, shared by the unit tests (DESIGN rule 9).

A tolerance here is a rounding bound that scales with the sizes and the magnitudes of
what is computed, never a constant fitted to what one machine printed. The model
(N. Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., §2.2 and §3.1):
every floating-point operation returns the exact result times (1 + δ) with |δ| ≤ u, the
unit roundoff of the dtype (float32 2⁻²⁴ ≈ 6.0e-8, float64 2⁻⁵³ ≈ 1.1e-16). A sum of n
terms, or a dot product of length n, computed in ANY order (sequential, pairwise, blocked
as BLAS kernels and SIMD code paths do, with or without fused multiply-adds) is then off
by at most γ_n·Σ|terms|, with γ_n = n·u / (1 − n·u). Two implementations of the same sum
(ours and PyTorch's, two kernels, two CPU code paths) each meet that bound, so they differ
by at most twice it.

* :func:`multilinear`: that bound, entry by entry, for anything linear in each argument
  (matrix products, linear and convolutional layers, pooling averages, embeddings) and
  for its gradients.
* :func:`normalization`, :func:`attention_forward` / :func:`attention_backward`,
  :func:`linear_forward` / :func:`linear_backward`, :func:`mlp`, :func:`softmax_bounds`,
  :func:`cross_entropy_bounds`, :class:`AdamBound`: first-order error analyses of the
  book's components, entry by entry, each error carried through the next operation by
  its derivative (the derivation is in each docstring).
* :func:`chain` and :func:`chain_sizes`: for whole networks (Transformer, GPT, ViT,
  ResNet, LeNet), stages × γ_n × the largest magnitude, counted from the layers run: a
  first-order bound that assumes well-scaled activations (stated in its docstring).

Statistical checks elsewhere allow 5 standard errors (a false alarm below 6e-7 per check).

``LBDL_BOUNDS_LOG=path``: :func:`assert_within` appends, for every check, the test's name
and the largest ratio |actual − expected| / bound, to see how much room each bound leaves
on a given machine (``tools/cpu_paths.py --margins``).
"""

from __future__ import annotations

import json
import os

import torch

__all__ = ["AdamBound", "assert_within", "attention_backward", "attention_forward", "chain", "chain_sizes", "gamma",
           "linear_backward", "linear_forward", "mlp", "multilinear", "normalization", "softmax_bounds",
           "cross_entropy_bounds", "unit_roundoff"]


def unit_roundoff(dtype: torch.dtype) -> float:
    """u = half the machine epsilon: 2⁻²⁴ for float32, 2⁻⁵³ for float64."""
    return torch.finfo(dtype).eps / 2


def gamma(n, dtype: torch.dtype):
    """γ_n = n·u / (1 − n·u): the relative error bound of a sum or a dot product of ``n``
    terms (n a number or a tensor of term counts, entry by entry)."""
    nu = n * unit_roundoff(dtype)
    if torch.as_tensor(nu).max() >= 0.5:
        raise ValueError(f"γ_n is only defined for n·u < 1/2, got n up to {torch.as_tensor(n).max()}")
    return nu / (1 - nu)


def _log(ratio: float) -> None:
    path = os.environ.get("LBDL_BOUNDS_LOG")
    if path:
        test = os.environ.get("PYTEST_CURRENT_TEST", "?").rsplit(" (", 1)[0]
        with open(path, "a") as f:
            f.write(json.dumps({"test": test, "ratio": ratio}) + "\n")


def assert_within(actual: torch.Tensor, expected: torch.Tensor, bound, msg: str = "") -> None:
    """|actual − expected| ≤ bound entry by entry (``bound``: a number or a tensor that
    broadcasts), with equal shapes and dtypes; infinities must match exactly."""
    actual, expected = torch.as_tensor(actual), torch.as_tensor(expected)
    assert actual.shape == expected.shape, f"{msg} shapes differ: {tuple(actual.shape)} vs {tuple(expected.shape)}"
    assert actual.dtype == expected.dtype, f"{msg} dtypes differ: {actual.dtype} vs {expected.dtype}"
    a, e = actual.detach().double(), expected.detach().double()
    bound = torch.as_tensor(bound, dtype=torch.float64).detach().to(a.device).expand_as(a)
    assert not torch.isnan(a).any() and not torch.isnan(e).any(), f"{msg} NaN in the compared values"
    infinite = torch.isinf(a) | torch.isinf(e)
    assert torch.equal(a[infinite], e[infinite]), f"{msg} infinities differ"
    diff = (a - e).abs().masked_fill(infinite, 0.0)
    if diff.numel() == 0:
        return
    ratio = torch.where(diff == 0, torch.zeros_like(diff), diff / bound)   # 0/0 = 0: exact where the bound is 0
    worst = int(ratio.argmax())
    _log(float(ratio.max()))
    bad = int((ratio > 1).sum())
    assert bad == 0, (f"{msg} {bad} of {diff.numel()} entries exceed the rounding bound; worst at flat index "
                      f"{worst}: |{a.flatten()[worst].item():.17g} − {e.flatten()[worst].item():.17g}| = "
                      f"{diff.flatten()[worst].item():.3g} > bound {bound.flatten()[worst].item():.3g}")


def multilinear(fn, tensors, upstream: torch.Tensor | None = None, *, implementations: int = 2):
    """Entry-by-entry bounds for two floating-point computations of ``fn(*tensors)``, a
    function linear in each of its tensor arguments (``None`` entries pass through): a
    matrix product, a linear or convolutional layer with its bias, a pooling average, an
    embedding lookup... Each output entry is then a sum of n products of one entry of each
    argument, off by at most γ_n·Σ|products| in any summation order, and

        Σ|products| = fn(|t₁|, |t₂|, ...),      n = fn(1, 1, ...)   (ones in every argument).

    The gradient of ⟨upstream, fn⟩ with respect to each argument is again such a sum (of
    upstream × the other arguments), so autograd through the same two evaluations gives
    its n and Σ|products|. Returns the bound on the values, and with ``upstream`` the list
    of bounds on the gradients, one per tensor (None for a None argument); each bound is
    ``implementations``·γ_n·Σ|products| (2: ours and the reference both round). Computed
    in float64, for the dtype of the first tensor."""
    dtype = next(t.dtype for t in tensors if t is not None)
    with torch.enable_grad():
        ones = [None if t is None else torch.ones_like(t, dtype=torch.float64).requires_grad_(upstream is not None)
                for t in tensors]
        sizes = [None if t is None else t.detach().double().abs().requires_grad_(upstream is not None)
                 for t in tensors]
        count, magnitude = fn(*ones), fn(*sizes)
        value_bound = implementations * gamma(count.detach(), dtype) * magnitude.detach()
        if upstream is None:
            return value_bound
        wanted = [i for i, t in enumerate(tensors) if t is not None]
        counts = torch.autograd.grad(count, [ones[i] for i in wanted], torch.ones_like(count), allow_unused=True)
        magnitudes = torch.autograd.grad(magnitude, [sizes[i] for i in wanted], upstream.detach().double().abs(),
                                         allow_unused=True)
    grads: list = [None] * len(tensors)
    for i, c, m in zip(wanted, counts, magnitudes):
        grads[i] = torch.zeros_like(sizes[i]) if c is None else implementations * gamma(c, dtype) * m
    return value_bound, grads


def normalization(x: torch.Tensor, dims, weight=None, bias=None, eps: float = 1e-5, upstream=None, *,
                  mean=None, var=None, implementations: int = 2) -> dict:
    """Entry-by-entry bounds for two computations of a batch or layer normalization
    y = w·(x − μ)/√(v + ε) + b, μ and v the mean and the biased variance of x over ``dims``
    (training), or given running estimates ``mean`` and ``var`` (eval); ``weight``,
    ``bias``, ``mean``, ``var`` broadcast to x (None: no affine part). First-order error
    analysis of one computation, doubled for two (``implementations``); n = the size of a
    group, u the unit roundoff, γ_k = k·u/(1 − k·u), c = x − μ, s = √(v + ε), z = c/s:

    * μ̂: a sum of n terms then a division, or a running (Welford) mean: ≤ 3n roundings
      of terms ≤ max|x|, so |δμ| ≤ γ_{3n}·max|x|.
    * v̂: two-pass or Welford, whose relative error is ≤ n·κ·u with κ = √(mean x² / v)
      the condition number of the variance (Chan, Golub and LeVeque, 1983): |δv| ≤
      γ_{3n+4}·κ·v.
    * ŝ: |δs|/s ≤ |δv|/(2(v + ε)) + γ₂ (the addition of ε and the square root).
    * z: |δz| ≤ (|δμ| + u|c|)/s + |z|(|δs|/s + γ₂); y: |δy| ≤ |w||δz| + γ₄(|w|(|x| +
      |μ|)/s + |b|), which also covers a kernel that computes y = (w/s)·x + (b − μw/s).
    * the gradient for ``upstream`` g, with g' = g·w: ∂x = (g' − mean g' − z·mean(g'z))/s,
      a few sums of n terms whichever way it is computed (closed form or autograd through
      the mean and the variance): |δ∂x| ≤ [γ_{n+6}·(|g'| + mean|g'| + (|z| + mean|z|)·
      mean|g'z|) + |z|·mean(|g'||δz|) + |δz|·|mean(g'z)|]/s + |∂x|·|δs|/s;
      ∂w = Σ g·z and ∂b = Σ g over the N entries that share a parameter: γ_N·Σ|g z| +
      Σ|g||δz| and γ_N·Σ|g|.

    Returns a dict with "value" and, with ``upstream``, "x", "weight", "bias" (shaped as
    the tensors given); in training mode also "mean" and "var", the bounds on one side's
    batch statistics (to follow running estimates), and "n"."""
    dtype = x.dtype
    u = unit_roundoff(dtype)
    dims = tuple(d % x.dim() for d in dims)
    xd = x.detach().double()
    n = 1
    for d in dims:
        n *= x.shape[d]
    as64 = lambda t: None if t is None else t.detach().double()
    w, b = as64(weight), as64(bias)
    w_abs = w.abs() if w is not None else torch.ones((), dtype=torch.float64)
    b_abs = b.abs() if b is not None else torch.zeros((), dtype=torch.float64)
    out = {"n": n}
    if mean is None:                                        # training: statistics of the batch
        mu = xd.mean(dims, keepdim=True)
        c = xd - mu
        v = (c * c).mean(dims, keepdim=True)
        e_mu = gamma(3 * n, dtype) * xd.abs().amax(dims, keepdim=True)
        kappa = ((xd * xd).mean(dims, keepdim=True) / v.clamp_min(torch.finfo(torch.float64).tiny)).sqrt()
        e_v = gamma(3 * n + 4, dtype) * kappa * v
        out["mean"], out["var"] = e_mu, e_v
    else:                                                   # eval: running estimates, exact inputs
        mu, v = as64(mean), as64(var)
        c = xd - mu
        e_mu, e_v = torch.zeros((), dtype=torch.float64), torch.zeros((), dtype=torch.float64)
    s = (v + eps).sqrt()
    z = c / s
    rel_s = e_v / (2 * (v + eps)) + gamma(2, dtype)
    e_z = (e_mu + u * c.abs()) / s + z.abs() * (rel_s + gamma(2, dtype))
    value = w_abs * e_z + gamma(4, dtype) * (w_abs * (xd.abs() + mu.abs()) / s + b_abs)
    out["value"] = implementations * value
    if upstream is None:
        return out
    g = upstream.detach().double()
    gw = g * (w if w is not None else 1.0)
    if mean is None:
        m1 = gw.abs().mean(dims, keepdim=True)
        m2 = (gw * z).abs().mean(dims, keepdim=True)
        mz = z.abs().mean(dims, keepdim=True)
        signed_m2 = (gw * z).mean(dims, keepdim=True)
        grad_x = (gw - gw.mean(dims, keepdim=True) - z * signed_m2) / s
        e_gx = (gamma(n + 6, dtype) * (gw.abs() + m1 + (z.abs() + mz) * m2)
                + z.abs() * (gw.abs() * e_z).mean(dims, keepdim=True) + e_z * signed_m2.abs()) / s \
            + grad_x.abs() * rel_s
    else:
        e_gx = gamma(4, dtype) * gw.abs() / s
    out["x"] = implementations * e_gx
    for name, p in (("weight", weight), ("bias", bias)):
        if p is None:
            continue
        terms = g.numel() // p.numel()                     # entries that share one parameter
        if name == "weight":
            e = gamma(terms, dtype) * (g * z).abs() + g.abs() * e_z
        else:
            e = gamma(terms, dtype) * g.abs()
        out[name] = implementations * e.sum_to_size(p.shape)
    return out


# --- first-order error propagation through a linear layer and attention ------------------
# One computation of each, from inputs known up to an error bound (e.g. the outputs of an
# earlier layer that rounded), in float64 on the exact values. A layer's bound = the errors
# of its inputs carried through |the layer| + its own rounding (γ_n of the magnitudes of
# each sum). Double the final bounds to compare two implementations.

def _d(t):
    return None if t is None else t.detach().double()


def linear_forward(x, weight, bias, ex, dtype):
    """y = x Wᵀ + b from x known within ex: (y, ey) with ey = ex|W|ᵀ + γ_{D+1}(|x||W|ᵀ + |b|)."""
    x, w, b = _d(x), _d(weight), _d(bias)
    magnitude = x.abs() @ w.abs().T + (0 if b is None else b.abs())
    y = x @ w.T + (0 if b is None else b)
    return y, ex @ w.abs().T + gamma(w.shape[1] + 1, dtype) * magnitude


def linear_backward(x, weight, ex, g, eg, dtype):
    """Gradients of ⟨g, x Wᵀ + b⟩ from x within ex and g within eg: ((∂x, e∂x), (∂W, e∂W),
    (∂b, e∂b)); ∂x = gW (sums of D' terms), ∂W = gᵀx and ∂b = Σg over the N leading positions."""
    x, w, g = _d(x), _d(weight), _d(g)
    x2, g2, ex2, eg2 = (t.reshape(-1, t.shape[-1]) for t in (x, g, ex.expand_as(x), eg.expand_as(g)))
    n = x2.shape[0]
    grad_x = (g @ w, eg @ w.abs() + gamma(w.shape[0], dtype) * (g.abs() @ w.abs()))
    grad_w = (g2.T @ x2, g2.abs().T @ ex2 + eg2.T @ x2.abs() + gamma(n, dtype) * (g2.abs().T @ x2.abs()))
    grad_b = (g2.sum(0), eg2.sum(0) + gamma(n, dtype) * g2.abs().sum(0))
    return grad_x, grad_w, grad_b


def attention_forward(q, k, v, eq, ek, ev, scale, mask, dtype):
    """Y = softmax(c·Q Kᵀ, masked) V from Q, K, V within eq, ek, ev (…, N, D). Returns the
    exact (Y, A) and their bounds:
    scores eS = c(eq|K|ᵀ + |Q|ekᵀ + γ_{D+3}|Q||K|ᵀ) (a dot product, and √c applied to q and k);
    weights |δA_ij| ≤ A_ij (eS_ij + Σ_k A_ik eS_ik + γ_{2N+4}) (the shift by the row's
    maximum cancels; exp, the sum of N terms, the division, and up to N rescalings of a
    blocked online softmax);
    output eY = eA|V| + A·ev + γ_{2N+4}·A|V|."""
    q, k, v = _d(q), _d(k), _d(v)
    s = scale * q @ k.transpose(-2, -1)
    if mask is not None:
        s = s.masked_fill(~mask, float("-inf"))
    a = torch.softmax(s, dim=-1)
    n = k.shape[-2]
    es = scale * (eq @ k.abs().transpose(-2, -1) + q.abs() @ ek.transpose(-2, -1)
                  + gamma(q.shape[-1] + 3, dtype) * q.abs() @ k.abs().transpose(-2, -1))
    es = torch.where(a > 0, es, torch.zeros_like(es))
    ea = a * (es + (a * es).sum(-1, keepdim=True) + gamma(2 * n + 4, dtype))
    y = a @ v
    ey = ea @ v.abs() + a @ ev + gamma(2 * n + 4, dtype) * (a @ v.abs())
    return (y, ey), (a, ea)


def attention_backward(q, k, v, eq, ek, ev, scale, mask, g, eg, dtype):
    """Gradients of ⟨g, Y⟩ for `attention_forward` with g within eg: ((∂Q, e), (∂K, e), (∂V, e)).
    ∂A = g Vᵀ, ∂V = Aᵀ g, ∂S = A ⊙ (∂A − Σ_j A ∂A), ∂Q = c·∂S K, ∂K = c·∂Sᵀ Q, each sum of
    n terms off by γ_{n+3} of its magnitude, plus the carried errors of its factors."""
    q, k, v, g = _d(q), _d(k), _d(v), _d(g)
    (_, _), (a, ea) = attention_forward(q, k, v, eq, ek, ev, scale, mask, dtype)
    n_q, n_kv, d_v = q.shape[-2], k.shape[-2], v.shape[-1]
    t = lambda m: m.transpose(-2, -1)
    ga = g @ t(v)
    ega = eg @ t(v.abs()) + g.abs() @ t(ev) + gamma(d_v, dtype) * (g.abs() @ t(v.abs()))
    gv = (t(a) @ g, t(ea) @ g.abs() + t(a) @ eg + gamma(n_q, dtype) * (t(a) @ g.abs()))
    rho = (a * ga).sum(-1, keepdim=True)
    erho = (ea * ga.abs() + a * ega).sum(-1, keepdim=True)
    gs = a * (ga - rho)
    egs = ea * (ga - rho).abs() + a * (ega + erho) + gamma(n_kv + 3, dtype) * a * (
        ga.abs() + (a * ga.abs()).sum(-1, keepdim=True))
    gq = (scale * gs @ k, scale * (egs @ k.abs() + gs.abs() @ ek + gamma(n_kv + 2, dtype) * (gs.abs() @ k.abs())))
    gk = (scale * t(gs) @ q, scale * (t(egs) @ q.abs() + t(gs.abs()) @ eq
                                      + gamma(n_q + 2, dtype) * (t(gs.abs()) @ q.abs())))
    return gq, gk, gv


# --- a multilayer perceptron: forward and backward, layer by layer ------------------------
# Per activation σ: L = max|σ'| (how much an error of z grows), M = max|σ''| (how much an
# error of z moves σ'(z)), and the rounding of σ and σ' of one implementation: the book's
# formulas and PyTorch's kernels are within 8u·(|σ(z)| + 1 + |z|) of each other, and their
# derivatives within 8u·(|σ'(z) g| + |g|(1 + |z|)) (tests/test_nn_activations.py), so each
# is taken within half of that, 4u, of the exact function. ReLU, the identity and x² are
# exact or one rounding. A kink (ReLU, leaky ReLU) moves σ' by its jump where |z| is within
# the error of z.
ACTIVATIONS = {       # name: (L, M, rounded with the 4u(|σ| + 1 + |z|) model, jump of σ' at a kink)
    "identity": (1.0, 0.0, False, 0.0), "relu": (1.0, 0.0, False, 1.0), "tanh": (1.0, 0.7699, True, 0.0),
    "sigmoid": (0.25, 0.0963, True, 0.0), "gelu": (1.1290, 0.7979, True, 0.0), "square": (None, 2.0, False, 0.0),
}


def _activation(name, z):
    return {"identity": lambda t: t, "relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid,
            "gelu": torch.nn.functional.gelu, "square": lambda t: t * t}[name](z)


def mlp(layers, x, upstream=None, *, implementations: int = 2, forward_rounds: bool = True,
        upstream_error=None) -> dict:
    """Bounds for two computations of an MLP h_{l+1} = σ_l(h_l W_lᵀ + b_l) and of its
    gradients for ``upstream``: ``layers`` is a list of (weight, bias or None, activation
    name) with activation one of :data:`ACTIVATIONS` (or ("leaky_relu", slope)).
    First-order running error analysis, in float64 on the exact values: forward, an error
    e_h of the input becomes e_z = e_h|W|ᵀ + γ_{n+1}(|h||W|ᵀ + |b|) and e_a = L·e_z + the
    rounding of σ; backward, g_z = g_a ⊙ σ'(z) within |σ'|e_ga + |g_a|(M·e_z + rounding of
    σ') + u|g_z|, then g_h = g_z W, ∂W = g_zᵀh, ∂b = Σ g_z as in :func:`linear_backward`
    (a batch of N rows: sums of N terms). ``forward_rounds=False``: both sides share the
    forward pass bit for bit (only the backward passes differ). ``upstream_error``: one
    side's bound on its upstream gradient (e.g. a loss gradient computed from outputs that
    rounded), zero by default. Returns {"value", "x", "weight": [...], "bias": [...],
    "activations": [gradient bounds at the input of every layer, then at the output]},
    each ``implementations`` times one side's bound."""
    dtype = x.dtype
    u = unit_roundoff(dtype)
    h = x.detach().double()
    e_h = torch.zeros_like(h)
    saved = []
    for weight, bias, activation in layers:
        slope = None
        if isinstance(activation, tuple):                     # ("leaky_relu", slope)
            activation, slope = activation
        elif activation == "leaky_relu":
            slope = 0.01                                       # PyTorch's default
        w = weight.detach().double()
        b = None if bias is None else bias.detach().double()
        z, e_z = linear_forward(h, w, b, e_h, dtype)
        if not forward_rounds:
            e_z = torch.zeros_like(e_z)
        if activation == "leaky_relu":
            a = torch.where(z > 0, z, slope * z)
            lip, second, modelled, jump = max(1.0, abs(slope)), 0.0, False, abs(1 - slope)
            rounding = u * a.abs()
        else:
            a = _activation(activation, z)
            lip, second, modelled, jump = ACTIVATIONS[activation]
            lip = 2 * z.abs() if lip is None else lip
            rounding = 4 * u * (a.abs() + 1 + z.abs()) if modelled else u * a.abs() * (activation == "square")
        e_a = (lip * e_z + rounding) if forward_rounds else torch.zeros_like(a)
        saved.append((h, e_h, w, z, e_z, activation, slope, second, modelled, jump))
        h, e_h = a, e_a
    out = {"value": implementations * e_h}
    if upstream is None:
        return out
    g = upstream.detach().double()
    e_g = torch.zeros_like(g) if upstream_error is None else upstream_error.detach().double()
    weights, biases, activations = [], [], [implementations * e_g]
    for h, e_h, w, z, e_z, activation, slope, second, modelled, jump in reversed(saved):
        z_req = z.clone().requires_grad_(True)
        with torch.enable_grad():
            a = torch.where(z_req > 0, z_req, slope * z_req) if activation == "leaky_relu" else \
                _activation(activation, z_req)
            (derivative,) = torch.autograd.grad(a.sum(), z_req)
        g_z = g * derivative
        e_gz = derivative.abs() * e_g + g.abs() * second * e_z + u * g_z.abs()
        if modelled:
            e_gz = e_gz + 4 * u * (g_z.abs() + g.abs() * (1 + z.abs()))
        if jump:
            e_gz = e_gz + torch.where(z.abs() <= e_z, jump * g.abs(), torch.zeros_like(g))
        (g_h, e_gh), (_, e_w), (_, e_b) = linear_backward(h, w, e_h, g_z, e_gz, dtype)
        weights.insert(0, implementations * e_w)
        biases.insert(0, implementations * e_b)
        g, e_g = g_h, e_gh
        activations.insert(0, implementations * e_g)
    out.update({"x": implementations * e_g, "weight": weights, "bias": biases, "activations": activations})
    return out


def chain(reference: torch.Tensor, *, stages: int, terms: int, implementations: int = 2) -> torch.Tensor:
    """A bound for two computations of a whole network's output, or of one gradient
    tensor, when an entry-by-entry analysis would mean re-deriving the network (the
    Transformer, GPT, ViT, ResNet and LeNet tests): ``implementations`` · ``stages`` ·
    γ_terms · max|reference|.

    First-order error analysis of a chain: every stage (a matrix product, a convolution,
    a normalization's statistics, a softmax, each of them in the backward pass too)
    rounds its result by at most γ_n of the sum of its terms' absolute values, n ≤
    ``terms`` (the longest sum: a fan-in, a sequence length, or the batch × positions
    that a parameter's gradient sums over), and the later stages carry that error to the
    output. The bound assumes those magnitudes and that amplification stay of the order of
    the compared tensor's largest entry (inputs of order 1, normalised or residual layers,
    well-conditioned random weights), which is the regime of these tests; ``stages``
    counts the stages on the longest path from the inputs to the compared tensor."""
    return implementations * stages * gamma(terms, reference.dtype) * reference.detach().abs().max().double()


def chain_sizes(model: torch.nn.Module, *args, **kwargs) -> tuple[int, int]:
    """(stages, terms) for :func:`chain`, read off the layers that ``model(*args, **kwargs)``
    runs (PyTorch's or the book's, by class name): a convolution or a linear layer is one
    stage, a pooling one, a batch or layer normalization three (mean, variance,
    normalization), an attention six (in-projection, scores, softmax's sum and division,
    weighted values, out-projection; counted again when the out-projection runs as a
    layer of its own, which only loosens the bound), an activation one; the sum
    over all the layers run is at least the longest path. ``terms``: the largest fan-in,
    normalization group, pooling window or key sequence (twice, for a blocked softmax), or
    number of rows (batch × positions) that a weight's gradient sums over. The model runs
    once, on a copy."""
    import copy

    stages, terms = 0, 1

    def rows(t):
        return t.numel() // t.shape[-1] if t.dim() else 1

    def hook(module, inputs, output):
        nonlocal stages, terms
        kind = type(module).__name__
        out = output[0] if isinstance(output, tuple) else output
        if kind in ("Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d"):
            stages += 1
            kernel = 1
            for k in module.kernel_size:
                kernel *= k
            per_sample = out[0].numel() // out.shape[1] if out.dim() > 2 else 1
            terms = max(terms, module.in_channels // module.groups * kernel + 1,
                        module.out_channels // module.groups * kernel, out.shape[0] * per_sample)
        elif isinstance(module, torch.nn.Linear) or kind == "Linear":
            stages += 1
            terms = max(terms, module.in_features + 1, module.out_features, rows(out))
        elif kind in ("BatchNorm1d", "BatchNorm2d"):
            stages += 3
            terms = max(terms, out.numel() // out.shape[1])
        elif kind == "LayerNorm":
            stages += 3
            size = 1
            for d in module.normalized_shape:
                size *= d
            terms = max(terms, size, rows(out))
        elif kind in ("MultiheadAttention", "MultiHeadAttention"):
            stages += 6
            keys = inputs[1] if len(inputs) > 1 and isinstance(inputs[1], torch.Tensor) else inputs[0]
            length = keys.shape[-2] if keys.dim() >= 2 else 1
            terms = max(terms, module.embed_dim + 1, 2 * length + 4, rows(out))
        elif kind in ("MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool2d"):
            stages += 1
            terms = max(terms, inputs[0].shape[-1] * (inputs[0].shape[-2] if inputs[0].dim() > 2 else 1))
        elif kind in ("ReLU", "GELU", "Tanh", "Sigmoid", "LeakyReLU", "Softmax"):
            stages += 1

    clone = copy.deepcopy(model)
    handles = [m.register_forward_hook(hook) for m in clone.modules()]
    try:
        clone(*args, **kwargs)          # with autograd on: no fused inference path skips the layers
    finally:
        for handle in handles:
            handle.remove()
    return stages, terms


class AdamBound:
    """Bounds on |ours − torch| for one tensor's m, v and w under Adam, step by step. Per
    step, with g the gradient (plus weight decay·w: its difference and rounding carried),
    the magnitudes read off the reference's state after the step:
    m = β₁m + (1 − β₁)g within β₁·e_m + (1 − β₁)·e_g + 2γ₃(|m| + |g|);
    v = β₂v + (1 − β₂)g² within β₂·e_v + (1 − β₂)·2|g|e_g + 2γ₄(|v| + g²);
    Δ = lr/c₁·m/(√(v/c₂) + ε) within lr/c₁·(e_m/(r + ε) + |m|·e_v/(2c₂·r·(r + ε)²)) + 2γ₆|Δ|
    (r = √(v/c₂), c = 1 − βᵗ the bias corrections), and w within e_w + e_Δ + 2u|w|."""

    def __init__(self, like, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, bias_correction=True):
        zero = torch.zeros(like.shape, dtype=torch.float64)
        self.m, self.v, self.w = zero.clone(), zero.clone(), zero.clone()
        self.lr, self.betas, self.eps, self.weight_decay = lr, betas, eps, weight_decay
        self.bias_correction, self.dtype = bias_correction, like.dtype

    def step(self, t, w_before, grad, m, v, w_after, grad_error=0.0):
        (b1, b2), dtype, u = self.betas, self.dtype, unit_roundoff(self.dtype)
        w_before, grad, m, v, w_after = (x.detach().double() for x in (w_before, grad, m, v, w_after))
        g = grad + self.weight_decay * w_before
        e_g = grad_error + self.weight_decay * self.w
        if self.weight_decay:
            e_g = e_g + 2 * gamma(2, dtype) * (grad.abs() + self.weight_decay * w_before.abs())
        self.m = b1 * self.m + (1 - b1) * e_g + 2 * gamma(3, dtype) * (m.abs() + g.abs())
        self.v = b2 * self.v + (1 - b2) * 2 * g.abs() * e_g + 2 * gamma(4, dtype) * (v + g * g)
        c1, c2 = (1 - b1**t, 1 - b2**t) if self.bias_correction else (1.0, 1.0)
        root = (v / c2).sqrt()
        delta = self.lr / c1 * m / (root + self.eps)
        e_delta = self.lr / c1 * (self.m / (root + self.eps) + m.abs() * self.v / (
            2 * c2 * root.clamp_min(torch.finfo(torch.float64).tiny) * (root + self.eps) ** 2))
        self.w = self.w + e_delta + 2 * gamma(6, dtype) * delta.abs() + 2 * u * w_after.abs()
        return self


# --- softmax, log-softmax, cross-entropy ------------------------------------------------

def softmax_bounds(x, dim=-1, upstream=None):
    """One computation's error bounds, entry by entry, for the log-softmax y = x − m −
    log S (m the maximum, S = Σ exp(x − m) ∈ [1, n]) and the softmax p = exp(y) along
    ``dim`` (n entries), and for their gradients for ``upstream`` g, whatever the order of
    the sums:
    y: x − m (u|x − m|), the exponentials and their sum (S within γ_{n+2} relative), log S
    (γ_{n+2} absolute + u|log S|), the difference (u|y|): |δy| ≤ γ_{n+4}(1 + |x − m| +
    |log S| + |y|); p: exp of a rounded x − m, the sum and the division: |δp| ≤
    p·γ_{n+4}(1 + |x − m|);
    ∂x of the log-softmax, g − p·Σg: |δp||Σg| + γ_{n+2}(|g| + p·Σ|g|);
    ∂x of the softmax, p ⊙ (g − ρ), ρ = Σ p g: |δp||g − ρ| + p(|δρ| + γ_{n+2}(|g| + Σ p|g|))
    with |δρ| ≤ Σ|δp||g| + γ_n Σ p|g|."""
    dtype = x.dtype
    x = x.detach().double()
    n = x.shape[dim]
    m = x.amax(dim, keepdim=True)
    log_s = (x - m).exp().sum(dim, keepdim=True).log()
    y = x - m - log_s
    p = y.exp()
    out = {"log_softmax": gamma(n + 4, dtype) * (1 + (x - m).abs() + log_s.abs() + y.abs()),
           "softmax": p * gamma(n + 4, dtype) * (1 + (x - m).abs())}
    if upstream is not None:
        g = upstream.detach().double()
        dp = out["softmax"]
        out["log_softmax_grad"] = dp * g.sum(dim, keepdim=True).abs() + gamma(n + 2, dtype) * (
            g.abs() + p * g.abs().sum(dim, keepdim=True))
        rho = (p * g).sum(dim, keepdim=True)
        d_rho = (dp * g.abs()).sum(dim, keepdim=True) + gamma(n, dtype) * (p * g.abs()).sum(dim, keepdim=True)
        out["softmax_grad"] = dp * (g - rho).abs() + p * (d_rho + gamma(n + 2, dtype) * (
            g.abs() + (p * g.abs()).sum(dim, keepdim=True)))
    return out


def cross_entropy_bounds(logits, target):
    """One computation's bounds for the mean cross-entropy of N rows and its gradient
    (softmax − onehot)/N: each row's loss −y_target within its log-softmax bound, their
    mean γ_{N+1} of the mean of |y_target|; the gradient, the softmax's bound, then the
    subtraction, the division by N (or the product by a rounded 1/N) and the product by
    the upstream 1: γ₄ of |p − onehot|, over N."""
    n = len(logits)
    b = softmax_bounds(logits)
    y = torch.log_softmax(logits.detach().double(), -1).gather(1, target[:, None])[:, 0]
    value = b["log_softmax"].gather(1, target[:, None])[:, 0].mean() + gamma(n + 1, logits.dtype) * y.abs().mean()
    p = torch.softmax(logits.detach().double(), -1)
    onehot = torch.nn.functional.one_hot(target, logits.shape[1]).double()
    return value, (b["softmax"] + gamma(4, logits.dtype) * (p - onehot).abs()) / n
