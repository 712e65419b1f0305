"""Positional encodings (§4.10): the sinusoidal formula, its relative-position property,
and the two modules (fixed and learned).

PyTorch has no positional-encoding layer to compare with, so the sinusoidal table is
checked against two independent computations: the formula of LBDL written entry by
entry with Python's math module, and the exp/log form of the PyTorch Transformer
tutorial. Tolerances: the table is computed in float64, where sin and cos of arguments
up to a few hundred are accurate to a few units of 1e-16 times the argument, so the
entries agree to 1e-12; the float32 table is that value rounded once (error ≤ 6e-8).
The learned encoding is compared with ``x + torch.nn.Embedding(positions)``: the
forward pass is the same single addition (bitwise equal), and the gradient of the
table sums the upstream gradients over the batch, which torch may order differently
(float32: 1e-5 for sums of ≤ 16 terms of size ≤ 4; float64: 1e-12).
"""

import math

import pytest
import torch
from torch import nn

from lbdl_book.nn import positional
from lbdl_book.nn.embedding import Embedding
from lbdl_book.nn.positional import (LearnedPositionalEncoding, SinusoidalPositionalEncoding, frequencies,
                                     relative_rotation, sinusoidal_encoding)

DTYPES = [torch.float32, torch.float64]
GRAD_TOL = {torch.float32: dict(atol=1e-5, rtol=1e-5), torch.float64: dict(atol=1e-12, rtol=1e-12)}


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
    torch.testing.assert_close(pe, expected, atol=1e-12, rtol=0)
    # the float32 table is the float64 one rounded once
    torch.testing.assert_close(sinusoidal_encoding(length, dim, base), expected.float(), atol=6e-8, rtol=0)


def test_sinusoidal_matches_the_exp_log_form_of_the_transformer_paper():
    # PE[t, 2i] = sin(t / 10000^(2i/D)), PE[t, 2i+1] = cos(t / 10000^(2i/D)), written as the
    # PyTorch tutorial does: div_term = exp(2i · (−ln 10000 / D))
    length, dim = 128, 32
    position = torch.arange(length, dtype=torch.float64)[:, None]
    div_term = torch.exp(torch.arange(0, dim, 2, dtype=torch.float64) * (-math.log(10000.0) / dim))
    reference = torch.zeros(length, dim, dtype=torch.float64)
    reference[:, 0::2] = torch.sin(position * div_term)
    reference[:, 1::2] = torch.cos(position * div_term)
    torch.testing.assert_close(sinusoidal_encoding(length, dim, dtype=torch.float64), reference, atol=1e-12, rtol=0)


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
    torch.testing.assert_close(pe[:, 2], torch.sin(t * 10 ** -0.5), atol=1e-12, rtol=0)


def test_frequencies_and_wavelengths():
    omega = frequencies(512)
    assert omega.shape == (256,) and omega[0] == 1.0
    ratios = omega[1:] / omega[:-1]
    torch.testing.assert_close(ratios, torch.full_like(ratios, 1e4 ** (-2 / 512)), atol=1e-14, rtol=0)
    wavelength = 2 * math.pi / omega
    assert wavelength[0] == pytest.approx(2 * math.pi) and 2 * math.pi * 1e4 * 0.9 < wavelength[-1] < 2 * math.pi * 1e4
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
    # pos-enc[t + k] = R(k) pos-enc[t] for every t, with one R(k) for all t
    torch.testing.assert_close(earlier @ rotation.T, later, atol=1e-12, rtol=0)
    # R(k) is orthogonal (a rotation of every (sin, cos) pair), with determinant 1
    torch.testing.assert_close(rotation @ rotation.T, torch.eye(dim, dtype=torch.float64), atol=1e-14, rtol=0)
    assert torch.linalg.det(rotation).item() == pytest.approx(1.0)
    # and one linear map is *found* from the table alone by least squares, fitting every t
    # (driver gelsd, SVD-based: the table of 64 columns is numerically rank-deficient, and on
    # such matrices the default CPU driver, gelsy, returned wrong solutions in about one
    # call out of ten in our runs)
    solution = torch.linalg.lstsq(earlier, later, driver="gelsd").solution   # earlier @ A ≈ later
    torch.testing.assert_close(earlier @ solution, later, atol=1e-9, rtol=0)
    if dim == 8:
        # with 8 columns the 300 rows determine the map: it is R(k) (for 64 columns the
        # slowest pairs barely turn over 300 positions, so the columns are nearly dependent
        # and least squares picks one of many near-solutions)
        torch.testing.assert_close(solution, rotation.T, atol=1e-7, rtol=0)


def test_dot_product_depends_only_on_the_offset():
    dim, length = 64, 400
    pe = sinusoidal_encoding(length, dim, dtype=torch.float64)
    gram = pe @ pe.T
    omega = frequencies(dim)
    for k in (0, 1, 7, 100):
        diagonal = torch.diagonal(gram, offset=k)                    # ⟨pe[t], pe[t + k]⟩ for all t
        expected = torch.cos(omega * k).sum()                        # Σ_i cos(ω_i k)
        torch.testing.assert_close(diagonal, expected.expand_as(diagonal), atol=1e-10, rtol=0)
    # every position is most similar to itself (D/2), and similarity first decreases
    similarity = gram[0]
    assert similarity[0] == pytest.approx(dim / 2)
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
    torch.testing.assert_close(grad_w, grad_w_ref, **GRAD_TOL[dtype])
    # row t of the table receives the upstream gradient at position t, summed over the batch;
    # rows of positions beyond the sequence receive nothing
    torch.testing.assert_close(grad_w[:length], upstream.sum(0), **GRAD_TOL[dtype])
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
