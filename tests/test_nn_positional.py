"""Positional encodings (§4.10): the sinusoidal formula, its relative-position property,
and the two modules (fixed and learned).

PyTorch has no positional-encoding layer to compare with, so the sinusoidal table is
checked against two independent computations: the formula of LBDL written entry by
entry with Python's math module, and the exp/log form of the PyTorch Transformer
tutorial. Tolerances (tests/_bounds.py): an entry sin(t·ω) is computed from ω = base^(−d/D);
rounding the exponent d/D (u relative) moves ω by |ln ω|·u relative, pow, exp or a quotient
add a few u, and the product t·ω one more, so each way of computing the angle θ = t·ω is
within (|ln ω| + 4)·u·θ of the exact one, and sin/cos add ≤ 1 ulp (2u). :func:`entry_error`
bounds an entry's error by (3·ln(base) + 6)·u·θ + 2u; two computations differ by at most
twice that. The float32 table is the float64 one rounded once. The learned encoding is
compared with ``x + torch.nn.Embedding(positions)``: the forward pass is the same single
addition (bitwise equal), and the gradient of the table sums the upstream gradients over
the batch, which torch may order differently: 2·γ_N·Σ|upstream| for N sequences.
"""

import math

import pytest
import torch
from torch import nn

from _bounds import assert_within, gamma, multilinear, unit_roundoff
from lbdl_book.nn import positional
from lbdl_book.nn.embedding import Embedding
from lbdl_book.nn.positional import (LearnedPositionalEncoding, SinusoidalPositionalEncoding, frequencies,
                                     relative_rotation, sinusoidal_encoding)

DTYPES = [torch.float32, torch.float64]
U64 = unit_roundoff(torch.float64)


def entry_error(angle, base=1e4):
    """Bound on the float64 error of sin or cos of t·ω computed from ω = base^(−d/D) by any
    of the formulas here (module docstring): (3·ln(base) + 6)·u·θ + 2u."""
    return (3 * math.log(base) + 6) * U64 * torch.as_tensor(angle, dtype=torch.float64).abs() + 2 * U64


def angles(length, dim, base=1e4):
    """θ[t, d] = t·ω_d, the exact angle of every entry (float64, to bound its error)."""
    omega = base ** (-(torch.arange(dim, dtype=torch.float64) // 2 * 2) / dim)
    return torch.arange(length, dtype=torch.float64)[:, None] * omega


def generator(seed=0):
    return torch.Generator().manual_seed(seed)


def book_formula(t, d, dim, base=1e4):
    """pos-enc[t, d] of LBDL §4.10, with the exponent d/D (not T^d / D)."""
    if d % 2 == 0:
        return math.sin(t / base ** (d / dim))
    return math.cos(t / base ** ((d - 1) / dim))


# --- the sinusoidal table -----------------------------------------------------------------

@pytest.mark.parametrize(("length", "dim", "base"), [(50, 8, 1e4), (17, 7, 1e4), (200, 64, 1e4), (30, 6, 10.0),
                                                     (1, 1, 1e4)])
def test_sinusoidal_values_match_the_formula_entry_by_entry(length, dim, base):
    pe = sinusoidal_encoding(length, dim, base, dtype=torch.float64)
    expected = torch.tensor([[book_formula(t, d, dim, base) for d in range(dim)] for t in range(length)],
                            dtype=torch.float64)
    assert pe.shape == (length, dim) and pe.dtype == torch.float64
    bound = 2 * entry_error(angles(length, dim, base), base)
    assert_within(pe, expected, bound)
    # the float32 table is the float64 one rounded once: bit for bit pe.float(), within
    # u₃₂·|value| of it (round to nearest), so within that plus the float64 bound of the formula
    table32 = sinusoidal_encoding(length, dim, base)
    assert torch.equal(table32, pe.float())
    assert_within(table32.double(), expected, bound + unit_roundoff(torch.float32) * (expected.abs() + bound))


def test_sinusoidal_matches_the_exp_log_form_of_the_transformer_paper():
    # PE[t, 2i] = sin(t / 10000^(2i/D)), PE[t, 2i+1] = cos(t / 10000^(2i/D)), written as the
    # PyTorch tutorial does: div_term = exp(2i · (−ln 10000 / D))
    length, dim = 128, 32
    position = torch.arange(length, dtype=torch.float64)[:, None]
    div_term = torch.exp(torch.arange(0, dim, 2, dtype=torch.float64) * (-math.log(10000.0) / dim))
    reference = torch.zeros(length, dim, dtype=torch.float64)
    reference[:, 0::2] = torch.sin(position * div_term)
    reference[:, 1::2] = torch.cos(position * div_term)
    assert_within(sinusoidal_encoding(length, dim, dtype=torch.float64), reference,
                  2 * entry_error(angles(length, dim)))


def test_the_misprinted_exponent_is_not_what_we_compute():
    # LBDL prints sin(t / T^d/D); read literally as (T^d)/D it gives t·D/T^d, which for
    # d ≥ 2 is below 1e-6 for every t < 100: columns that are zero for all practical t.
    dim, length = 16, 100
    pe = sinusoidal_encoding(length, dim, dtype=torch.float64)
    t = torch.arange(length, dtype=torch.float64)
    misread_column_2 = torch.sin(t * dim / 1e4 ** 2)
    assert misread_column_2.abs().max() < 1e-3
    assert (pe[:, 2] - misread_column_2).abs().max() > 0.5
    # the correct column 2 turns at ω = 10^(−4·2/16) = 10^(−0.5) rad per position
    assert_within(pe[:, 2], torch.sin(t * 10 ** -0.5), 2 * entry_error(t * 10 ** -0.5))


def test_frequencies_and_wavelengths():
    omega = frequencies(512)
    assert omega.shape == (256,) and omega[0] == 1.0
    ratios = omega[1:] / omega[:-1]
    # each ω within (ln 1e4 + 4)·u relative (module docstring), the quotient and the
    # constant 1e4^(−2/512) a few u more: (2·ln 1e4 + 12)·u relative
    assert_within(ratios, torch.full_like(ratios, 1e4 ** (-2 / 512)), (2 * math.log(1e4) + 12) * U64 * ratios)
    wavelength = 2 * math.pi / omega
    assert wavelength[0] == 2 * math.pi                                # ω₀ = 1 exactly
    assert 2 * math.pi * 1e4 * 0.9 < wavelength[-1] < 2 * math.pi * 1e4
    assert frequencies(7).shape == (4,)


@pytest.mark.parametrize("dim", [8, 64])
@pytest.mark.parametrize("offset", [1, 5, 37, -3])
def test_relative_position_is_a_fixed_rotation(dim, offset):
    length = 300
    pe = sinusoidal_encoding(length + abs(offset), dim, dtype=torch.float64)
    rotation = relative_rotation(offset, dim)
    start = max(0, -offset)
    later = pe[start + offset: start + offset + length - start]
    earlier = pe[start: start + len(later)]
    # pos-enc[t + k] = R(k) pos-enc[t] for every t, with one R(k) for all t. Each side of
    # sin(θ + φ) = sin θ cos φ + cos θ sin φ: the entries of earlier and of R off by
    # entry_error (|entries| ≤ 1), two products and a sum (2γ₂), and later's own entry
    t = torch.arange(len(later), dtype=torch.float64)[:, None] + start
    residual_bound = (2 * entry_error(t) + 2 * entry_error(abs(offset)) + entry_error(t + offset)
                      + 2 * gamma(2, torch.float64))
    assert_within(earlier @ rotation.T, later, residual_bound.expand_as(later))
    # R(k) is orthogonal (a rotation of every (sin, cos) pair), with determinant 1: c and s
    # are within 1 ulp (2u) of the cosine and sine of the same rounded angle, so c² + s²
    # is within 2·2u + 2u + γ₂ < 8u of 1, and −cs + sc is exactly 0
    assert_within(rotation @ rotation.T, torch.eye(dim, dtype=torch.float64), 8 * U64)
    # LU works block by block on this block-diagonal matrix (pivots ≤ 1): each 2×2
    # determinant within 8u + γ₄ of 1, and the product of dim/2 of them
    assert abs(torch.linalg.det(rotation).item() - 1) <= dim / 2 * (8 * U64 + gamma(4, torch.float64)) * 1.01
    # and one linear map is *found* from the table alone by least squares, fitting every t
    # (driver gelsd, SVD-based: the table of 64 columns is numerically rank-deficient, and on
    # such matrices the default CPU driver, gelsy, returned wrong solutions in about one
    # call out of ten in our runs)
    solution = torch.linalg.lstsq(earlier, later, driver="gelsd").solution   # earlier @ A ≈ later
    # An SVD least-squares solve is backward stable: the computed A is the exact solution for
    # a table perturbed by ‖ΔE‖ ≲ m·n·u·‖E‖_F (Higham, Thm 20.3), dropped singular values
    # included (below max(m, n)·eps·σ₁); so its residual exceeds that of R(k) by at most
    # m·n·u·‖E‖_F·‖A‖_F
    m, n = earlier.shape
    residual = (earlier @ rotation.T - later).norm()
    assert_within(earlier @ solution, later, residual + m * n * U64 * earlier.norm() * solution.norm())
    if dim == 8:
        # with 8 columns the 300 rows determine the map: it is R(k) (for 64 columns the
        # slowest pairs barely turn over 300 positions, so the columns are nearly dependent
        # and least squares picks one of many near-solutions). Conditioning: the exact
        # least-squares map is within ‖E⁺‖·‖E·R(k)ᵀ − L‖ = residual / σ_min of R(k)ᵀ, and the
        # computed one within κ(E)·m·n·u·‖A‖ of the exact one (Wedin, residual ≈ 0)
        sigma = torch.linalg.svdvals(earlier)
        bound = residual / sigma[-1] + sigma[0] / sigma[-1] * m * n * U64 * rotation.norm()
        assert_within(solution, rotation.T, bound)


def test_dot_product_depends_only_on_the_offset():
    dim, length = 64, 400
    pe = sinusoidal_encoding(length, dim, dtype=torch.float64)
    gram = pe @ pe.T
    omega = frequencies(dim)
    for k in (0, 1, 7, 100):
        diagonal = torch.diagonal(gram, offset=k)                    # ⟨pe[t], pe[t + k]⟩ for all t
        expected = torch.cos(omega * k).sum()                        # Σ_i cos(ω_i k)
        # ⟨pe[t], pe[t + k]⟩: dim products of entries ≤ 1 off by entry_error (t + k ≤ 500
        # radians), summed (γ_dim); Σ cos(ω_i k): dim/2 entries, summed
        t = torch.arange(len(diagonal), dtype=torch.float64)
        bound = (dim * (2 * entry_error(t + k) + gamma(dim, torch.float64))
                 + dim / 2 * (entry_error(k) + gamma(dim, torch.float64)))
        assert_within(diagonal, expected.expand_as(diagonal), bound)
    # every position is most similar to itself (D/2), and similarity first decreases
    similarity = gram[0]
    assert similarity[0] == dim / 2               # sin 0 = 0 and cos 0 = 1 exactly: a sum of D/2 ones
    assert similarity[1:].max() < similarity[0] - 1
    assert (similarity[1:6] < similarity[:5]).all()


def test_sinusoidal_errors():
    with pytest.raises(ValueError, match="length must be an int >= 0, got -1"):
        sinusoidal_encoding(-1, 4)
    with pytest.raises(ValueError, match="dim must be a positive int, got 0"):
        sinusoidal_encoding(3, 0)
    with pytest.raises(ValueError, match=r"base must be a finite number > 1, got 1.0"):
        sinusoidal_encoding(3, 4, base=1.0)
    with pytest.raises(TypeError, match="base must be a real number, got str"):
        sinusoidal_encoding(3, 4, base="1e4")
    with pytest.raises(ValueError, match="dim must be even for the encoding to rotate as pairs, got 5"):
        relative_rotation(1, 5)
    with pytest.raises(TypeError, match="offset must be an int, got float"):
        relative_rotation(1.5, 4)
    assert sinusoidal_encoding(0, 4).shape == (0, 4)


# --- the modules -----------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("n", "length", "dim", "max_len"), [(1, 1, 4, 1), (3, 10, 8, 10), (5, 7, 6, 100)])
def test_sinusoidal_module_adds_the_table(dtype, n, length, dim, max_len):
    layer = SinusoidalPositionalEncoding(dim, max_len, dtype=dtype)
    assert layer.encoding.dtype == dtype
    x = torch.randn(n, length, dim, generator=generator(length), dtype=dtype, requires_grad=True)
    y = layer(x)
    assert y.shape == x.shape and y.dtype == dtype
    table = sinusoidal_encoding(length, dim, dtype=dtype)
    assert torch.equal(y, x + table)                        # the same one addition, bit for bit
    upstream = torch.randn(n, length, dim, generator=generator(1), dtype=dtype)
    (grad,) = torch.autograd.grad(y, x, upstream)
    assert torch.equal(grad, upstream)                      # an addition: identity Jacobian
    assert list(layer.parameters()) == []


def test_sinusoidal_buffer_is_not_persistent_and_follows_the_module():
    layer = SinusoidalPositionalEncoding(16, 50)
    assert "encoding" in dict(layer.named_buffers())
    assert layer.state_dict() == {}                         # recomputed, never saved
    # a model built for longer sequences loads the (empty) state of a shorter one
    SinusoidalPositionalEncoding(16, 500).load_state_dict(layer.state_dict())
    # the table follows .to(): converting a float32 module rounds nothing more than float32 did
    assert torch.equal(layer.double().encoding, sinusoidal_encoding(50, 16).double())
    assert torch.equal(SinusoidalPositionalEncoding(16, 50).encoding, sinusoidal_encoding(50, 16))
    assert repr(layer) == "SinusoidalPositionalEncoding(dim=16, max_len=50, base=10000)"


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("n", "length", "dim", "max_len"), [(1, 1, 4, 1), (3, 10, 8, 10), (16, 7, 6, 100)])
def test_learned_encoding_matches_an_embedding_of_positions(dtype, n, length, dim, max_len):
    torch.manual_seed(length)
    reference = nn.Embedding(max_len, dim, dtype=dtype)
    layer = LearnedPositionalEncoding(max_len, dim, dtype=dtype)
    layer.load_state_dict(reference.state_dict())           # same parameter name and shape
    x = torch.randn(n, length, dim, generator=generator(0), dtype=dtype, requires_grad=True)
    x_ref = x.detach().clone().requires_grad_(True)
    y = layer(x)
    y_ref = x_ref + reference(torch.arange(length))
    assert torch.equal(y, y_ref)
    upstream = torch.randn(n, length, dim, generator=generator(1), dtype=dtype)
    grad_x, grad_w = torch.autograd.grad(y, (x, layer.weight), upstream)
    grad_x_ref, grad_w_ref = torch.autograd.grad(y_ref, (x_ref, reference.weight), upstream)
    assert torch.equal(grad_x, grad_x_ref)
    # sums of the n upstream values of a position, in any order: 2·γ_n·Σ|upstream|
    grad_bound = multilinear(lambda w: w[:length].expand(n, length, dim), (reference.weight,), upstream)[1][0]
    assert_within(grad_w, grad_w_ref, grad_bound)
    # row t of the table receives the upstream gradient at position t, summed over the batch;
    # rows of positions beyond the sequence receive nothing
    assert_within(grad_w[:length], upstream.sum(0), grad_bound[:length])
    assert torch.equal(grad_w[length:], torch.zeros_like(grad_w[length:]))


def test_learned_encoding_state_dict_and_init():
    layer = LearnedPositionalEncoding(1024, 64)
    assert list(layer.state_dict()) == ["weight"] and layer.weight.shape == (1024, 64)
    nn.Embedding(1024, 64).load_state_dict(layer.state_dict())      # and back
    # N(0, 1) like nn.Embedding: 65,536 draws, standard errors 0.004 and 0.003
    assert abs(layer.weight.mean()) < 0.02 and abs(layer.weight.std() - 1) < 0.02
    assert repr(layer) == "LearnedPositionalEncoding(max_len=1024, dim=64)"
    assert isinstance(Embedding(3, 2), nn.Module)


@pytest.mark.parametrize("layer", [SinusoidalPositionalEncoding(8, 10), LearnedPositionalEncoding(10, 8)],
                         ids=["sinusoidal", "learned"])
def test_module_errors(layer):
    with pytest.raises(ValueError, match="x has T=11 positions, more than max_len=10"):
        layer(torch.zeros(2, 11, 8))
    with pytest.raises(ValueError, match=r"x must have shape \(N, T, D=8\), got \(2, 5, 4\)"):
        layer(torch.zeros(2, 5, 4))
    with pytest.raises(ValueError, match=r"x must have shape \(N, T, D=8\), got \(5, 8\)"):
        layer(torch.zeros(5, 8))
    with pytest.raises(TypeError, match="x must be a floating-point tensor, got torch.int64"):
        layer(torch.zeros(2, 5, 8, dtype=torch.long))
    with pytest.raises(TypeError, match="x must be a torch.Tensor, got list"):
        layer([[0.0] * 8])


def test_constructor_errors():
    with pytest.raises(ValueError, match="max_len must be a positive int, got 0"):
        SinusoidalPositionalEncoding(8, 0)
    with pytest.raises(ValueError, match="dim must be a positive int, got -2"):
        SinusoidalPositionalEncoding(-2, 10)
    with pytest.raises(ValueError, match="base must be a finite number > 1, got inf"):
        SinusoidalPositionalEncoding(8, 10, base=math.inf)
    with pytest.raises(ValueError, match="max_len must be a positive int, got 2.0"):
        LearnedPositionalEncoding(2.0, 8)
    with pytest.raises(ValueError, match="dim must be a positive int, got 0"):
        LearnedPositionalEncoding(8, 0)


def test_module_exports():
    assert sorted(positional.__all__) == ["LearnedPositionalEncoding", "SinusoidalPositionalEncoding", "frequencies",
                                          "relative_rotation", "sinusoidal_encoding"]
