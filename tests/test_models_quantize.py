"""Tests of lbdl_book.models.quantize (LBDL §8.2): the block formats equal llama.cpp's
bytes (the ``gguf`` package, test-only, pinned ``gguf==0.19.0``), hand-made cases, the
torch path, the model-level quantization and its memory."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch

from lbdl_book.models import quantize as qz
from lbdl_book.models.gpt import GPT

gguf = pytest.importorskip("gguf")
from gguf import GGMLQuantizationType  # noqa: E402

LLAMA = [name for name, fmt in qz.FORMATS.items() if fmt.llama_cpp]


def _inputs() -> dict[str, np.ndarray]:
    """Random and adversarial float32 inputs (rows of 32·k values)."""
    rng = np.random.default_rng(0)
    ties = rng.integers(-40, 41, (16, 64)) / 2                  # halves: ties of every rounding
    ties[:, 0] = 20                                              # max|x| = 20: Q8_0 codes x·127/20, Q4_0 x/−2.5
    large = rng.choice([-1.0, 1.0], (8, 64)) * 10.0 ** rng.integers(-3, 30, (8, 64))
    signs = np.tile(np.array([3.0, -3.0] * 16), (2, 1))         # |max| reached twice with both signs
    signs[1] *= -1
    tiny = rng.standard_normal((4, 32)) * 1e-30                   # d rounds to 0 in float16
    one_off = np.zeros((3, 32))
    one_off[:, 5] = [1.0, -1.0, 7e4]                              # one non-zero weight per block
    return {
        "normal": rng.standard_normal((64, 256)),
        "weights": rng.standard_normal((3, 5, 64)) * 0.02,       # leading dimensions kept
        "uniform": rng.uniform(-1, 1, (32, 96)),
        "zeros": np.zeros((4, 64)),
        "constant": np.full((3, 32), 0.37),
        "constant negative": np.full((3, 32), -5.0),
        "ties": ties,
        "signs": signs,
        "large": large,
        "tiny": tiny,
        "one non-zero": one_off,
        "float16 range": rng.uniform(-6e4, 6e4, (4, 64)),
    }


INPUTS = _inputs()


@pytest.mark.parametrize("name", LLAMA)
@pytest.mark.parametrize("case", list(INPUTS))
def test_bytes_equal_gguf(name, case):
    x = INPUTS[case].astype(np.float32)
    kind = getattr(GGMLQuantizationType, name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)          # gguf's float16 overflow on "large"
        reference = gguf.quants.quantize(x, kind)
        ours = qz.quantize_blocks(x, name).numpy()
        assert ours.dtype == np.uint8 and ours.shape == reference.shape
        assert np.array_equal(ours, reference), f"{case}: {(ours != reference).sum()} bytes differ"
        decoded = qz.dequantize_blocks(torch.from_numpy(ours), name).numpy()
        expected = gguf.quants.dequantize(reference, kind)
    assert decoded.shape == expected.shape == x.shape
    # bit for bit where finite; inf·0 gives nan in both (a scale beyond float16's range)
    assert np.array_equal(decoded, expected, equal_nan=True)
    finite = np.isfinite(expected)
    assert np.array_equal(decoded[finite].view(np.uint32), expected[finite].view(np.uint32))


def test_book_layout_of_q4_1():
    """Q4_1 as the book describes it: 20 bytes per block of 32, d then m in float16, codes
    x̃ = d·q + m; byte j = q_j | q_{j+16} << 4."""
    x = torch.arange(32, dtype=torch.float32) * 0.5 - 3.0        # min −3, max 12.5, d = 15.5/15
    data = qz.quantize_blocks(x, "Q4_1")
    assert data.shape == (20,)
    d, m = data[:4].numpy().view("<f2").astype(np.float32)
    assert d == np.float16(15.5 / 15) and m == -3.0
    codes = np.concatenate([data[4:].numpy() & 15, data[4:].numpy() >> 4])
    assert codes[0] == 0 and codes[-1] == 15
    assert np.array_equal(qz.dequantize_blocks(data, "Q4_1").numpy(), d * codes.astype(np.float32) + m)
    assert qz.FORMATS["Q4_1"].bytes_per_block == 20 and qz.FORMATS["Q4_1"].bits_per_weight == 5.0


def test_sizes_of_formats():
    sizes = {name: (fmt.bytes_per_block, fmt.bits_per_weight) for name, fmt in qz.FORMATS.items()}
    assert sizes == {"Q8_0": (34, 8.5), "Q5_1": (24, 6.0), "Q5_0": (22, 5.5), "Q4_1": (20, 5.0), "Q4_0": (18, 4.5),
                     "Q3_L": (16, 4.0), "Q2_L": (12, 3.0)}
    for name in LLAMA:
        assert gguf.GGML_QUANT_SIZES[getattr(GGMLQuantizationType, name)] == (32, qz.FORMATS[name].bytes_per_block)


@pytest.mark.parametrize("name", list(qz.FORMATS))
def test_error_bound_and_exact_levels(name):
    """|x − x̃| ≤ d/2 per block (plus the float16 rounding of d and m), and values on the
    grid of a block are reproduced exactly by the offset formats."""
    fmt = qz.FORMATS[name]
    x = torch.randn(16, 128)
    error = (qz.fake_quantize(x, name) - x).abs().reshape(-1, 32)
    blocks = x.reshape(-1, 32)
    spread = blocks.amax(1) - blocks.amin(1) if fmt.offset else 2 * blocks.abs().amax(1)
    step = spread / (fmt.levels - 1 if fmt.offset else 2 * fmt.zero if fmt.zero else 254)
    # half a step from rounding; float16 rounding of d (relative 2**-11) times the largest
    # code, and of m (relative 2**-11 of |m|); float32 rounding of "+ m" (2**-24 |x̃|)
    u16 = 2.0 ** -11
    bound = step / 2 + step * fmt.levels * u16 + blocks.abs().amax(1) * (2 * u16 + 2.0 ** -23)
    if not fmt.offset:                                        # Q4_0/Q5_0: the largest code is clipped
        bound = bound + step
    assert (error.amax(1) <= bound).all()
    if fmt.offset:
        grid = torch.randint(0, fmt.levels, (4, 32)).float()
        grid[:, 0], grid[:, 1] = 0, fmt.levels - 1               # min → code 0, max → top code
        values = grid * 0.25 - 1.0                                # d = 0.25, m = −1: exact in float16
        assert torch.equal(qz.fake_quantize(values, name), values)


@pytest.mark.parametrize("name", list(qz.FORMATS))
def test_torch_path_equals_bytes_path(name):
    for case in ("normal", "ties", "signs", "zeros", "one non-zero"):
        x = torch.from_numpy(INPUTS[case].astype(np.float32))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            assert torch.equal(qz.fake_quantize_torch(x, name), qz.fake_quantize(x, name)), case


def test_own_formats_roundtrip_codes():
    """Q3_L, Q2_L: the bit stream holds the codes, q_0 in the lowest bits."""
    for name in ("Q3_L", "Q2_L"):
        fmt = qz.FORMATS[name]
        codes = torch.randint(0, fmt.levels, (5, 32))
        codes[:, 0], codes[:, 1] = 0, fmt.levels - 1
        values = codes.float() * 0.5 + 2.0
        data = qz.quantize_blocks(values, name)
        assert data.shape == (5, fmt.bytes_per_block)
        stream = np.unpackbits(data[:, 4:].numpy(), axis=1, bitorder="little").reshape(5, 32, fmt.bits)
        assert np.array_equal((stream << np.arange(fmt.bits)).sum(-1), codes.numpy())
        assert torch.equal(qz.dequantize_blocks(data, name), values)


def test_quantized_tensor_and_ste():
    x = torch.randn(6, 64, requires_grad=True)
    q = qz.quantize(x, "Q4_0")
    assert q.nbytes == 6 * 2 * 18 and q.shape == x.shape
    assert torch.equal(qz.dequantize(q), qz.fake_quantize(x, "Q4_0"))
    y = qz.ste(x, "Q4_0")
    assert torch.equal(y.detach(), qz.fake_quantize(x.detach(), "Q4_0"))
    y.sum().backward()
    assert torch.equal(x.grad, torch.ones_like(x))              # straight through: ∂x̃/∂x := 1
    with pytest.raises(ValueError, match="data"):
        qz.QuantizedTensor(q.data[:-1], "Q4_0", (6, 64))


def _gpt():
    torch.manual_seed(0)
    return GPT(vocab_size=11, context=8, dim=32, num_heads=2, num_layers=2)


def test_weight_matrices_and_bytes():
    model = _gpt()
    matrices = qz.weight_matrices(model)
    assert [role for _, _, role in matrices] == ["E"] + ["Q", "K", "V", "O", "FF1", "FF2"] * 2
    params = dict(model.named_parameters())
    n_matrices = sum(params[name][rows].numel() for name, rows, _ in matrices)
    n_all = sum(p.numel() for p in model.parameters())
    assert n_matrices == 11 * 32 + 2 * (4 * 32 * 32 + 2 * 32 * 128)
    assert qz.model_bytes(model, "F32", rest="F32") == 4 * n_all
    assert qz.model_bytes(model, "F16") == 2 * n_all
    assert qz.model_bytes(model, "Q4_1") == n_matrices // 32 * 20 + 2 * (n_all - n_matrices)
    plan = dict.fromkeys(qz.ROLES, "Q2_L") | {"V": "Q8_0"}
    assert qz.model_bytes(model, plan) == qz.model_bytes(model, "Q2_L") + 2 * 32 * 32 // 32 * (34 - 12)


def test_quantize_model():
    model = _gpt().eval()
    tokens = torch.randint(0, 11, (3, 8))
    same = qz.quantize_model(model, "F32")
    params = dict(model.named_parameters())
    in_matrices = {name for name, _, _ in qz.weight_matrices(model)}
    for name, p in same.named_parameters():
        expected = params[name] if name in in_matrices else params[name].half().float()
        assert torch.equal(p, expected), name
    q = qz.quantize_model(model, "Q4_0")
    w = dict(q.named_parameters())["layers.1.self_attention.attention.in_proj_weight"]
    w0 = params["layers.1.self_attention.attention.in_proj_weight"]
    assert torch.equal(w[64:96], qz.fake_quantize(w0[64:96], "Q4_0"))
    assert q.head.weight is q.embedding.weight                 # still tied
    assert torch.equal(params["embedding.weight"], model.embedding.weight)   # the original is untouched
    assert q(tokens).shape == (3, 8, 11)


def test_bad_arguments():
    with pytest.raises(ValueError, match="fmt"):
        qz.quantize_blocks(torch.zeros(32), "Q4_2")
    with pytest.raises(ValueError, match="multiple of 32"):
        qz.quantize_blocks(torch.zeros(3, 48), "Q4_1")
    with pytest.raises(ValueError, match="finite"):
        qz.quantize_blocks(torch.tensor([math.nan] * 32), "Q8_0")
    with pytest.raises(TypeError, match="x"):
        qz.quantize_blocks(torch.zeros(32, dtype=torch.int64), "Q8_0")
    with pytest.raises(ValueError, match="data"):
        qz.dequantize_blocks(torch.zeros(21, dtype=torch.uint8), "Q4_1")
    with pytest.raises(ValueError, match="plan"):
        qz.model_bytes(_gpt(), {"E": "Q4_0"})
    with pytest.raises(ValueError, match="dim"):
        qz.weight_matrices(GPT(vocab_size=5, context=4, dim=16, num_heads=2, num_layers=1))
