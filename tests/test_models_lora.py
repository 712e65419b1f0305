"""LoRA, bottleneck adapters and QLoRA (lbdl_book.models.lora, §8.3)."""

import math

import pytest
import torch

from lbdl_book.models.gpt import CHAR_GPT, GPT
from lbdl_book.models.lora import (Adapter, AdaptedLayer, LoRALinear, LoRAParametrization, QuantizedWeight,
                                   adam_state_bytes, add_adapters, add_lora, freeze, harbour_log, lora_modules,
                                   lora_state_dict, merge_lora, merge_rounding_bound, merged_state_dict, quantize_base,
                                   stored_bytes, trainable_parameters, training_bytes, unmerge_lora)
from lbdl_book.nn.linear import Linear

V = 52


def small_gpt(seed=0):
    torch.manual_seed(seed)
    return GPT(V, **{**CHAR_GPT, "dropout": 0.0}).eval()


def tokens(n=3, t=64, seed=1):
    return torch.randint(0, V, (n, t), generator=torch.Generator().manual_seed(seed))


def randomise_b(model, std=0.05, seed=2):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in lora_modules(model):
            m.lora_B.normal_(0.0, std, generator=g)


# --- the layer ---------------------------------------------------------------------------

def test_zero_start_is_exact():
    base = Linear(64, 192)
    layer = LoRALinear(base, rank=4, generator=torch.Generator().manual_seed(0))
    x = torch.randn(5, 7, 64)
    assert torch.equal(layer(x), base(x))
    assert torch.equal(layer.lora_B, torch.zeros(192, 4))
    assert layer.lora_A.shape == (4, 64) and layer.lora_A.abs().sum() > 0


def test_parameter_counts_and_freezing():
    layer = LoRALinear(Linear(64, 192), rank=4)
    assert trainable_parameters(layer) == 4 * (64 + 192)
    assert not layer.base.weight.requires_grad and not layer.base.bias.requires_grad
    assert adam_state_bytes(layer) == 8 * 4 * (64 + 192)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_merge_matches_unmerged_within_rounding(dtype):
    g = torch.Generator().manual_seed(0)
    layer = LoRALinear(Linear(96, 80).to(dtype), rank=6, alpha=12.0, generator=g)
    with torch.no_grad():
        layer.lora_B.normal_(0, 0.1, generator=g)
    x = torch.randn(4, 10, 96, generator=g, dtype=dtype)
    unmerged = layer(x)
    bound = merge_rounding_bound(layer, x)
    w0 = layer.base.weight.clone()
    merged = layer.merge()(x)
    assert ((merged - unmerged).abs() <= bound).all()
    # merge then unmerge: W + Δ − Δ, one rounding of each of two additions per entry
    layer.unmerge()
    u = torch.finfo(dtype).eps / 2
    delta = layer.delta_weight().abs()
    assert ((layer.base.weight - w0).abs() <= 2 * u * (w0.abs() + delta) * (1 + 2 * u)).all()


def test_scaling_alpha_over_rank():
    layer = LoRALinear(Linear(8, 8), rank=2, alpha=6.0)
    assert layer.scaling == 3.0
    assert LoRALinear(Linear(8, 8), rank=2).scaling == 1.0


def test_gradients_reach_only_a_and_b():
    layer = LoRALinear(Linear(16, 12), rank=3)
    with torch.no_grad():
        layer.lora_B.normal_()
    layer(torch.randn(4, 16)).sum().backward()
    assert layer.base.weight.grad is None and layer.base.bias.grad is None
    assert layer.lora_A.grad is not None and layer.lora_B.grad is not None


def test_gradient_of_a_is_zero_at_the_start():
    # B = 0: dL/dA = s Bᵀ (dL/dY)ᵀ X is exactly zero, dL/dB is not
    layer = LoRALinear(Linear(16, 12), rank=3)
    layer(torch.randn(4, 16)).square().sum().backward()
    assert torch.equal(layer.lora_A.grad, torch.zeros_like(layer.lora_A))
    assert layer.lora_B.grad.abs().sum() > 0


# --- on the GPT --------------------------------------------------------------------------

@pytest.mark.parametrize("rank", [1, 4, 16])
def test_add_lora_counts_and_zero_start(rank):
    base = small_gpt()
    x = tokens()
    expected = base(x)
    model = add_lora(small_gpt(), rank)
    assert trainable_parameters(model) == 3 * rank * ((192 + 64) + (64 + 64)) == 1152 * rank
    assert torch.equal(model(x), expected)
    ffn = add_lora(small_gpt(), rank, targets=("qkv", "out", "ffn"))
    assert trainable_parameters(ffn) == 1152 * rank + 3 * rank * 2 * (64 + 256)


def test_add_lora_gradients_only_to_factors():
    model = add_lora(small_gpt(), 4)
    randomise_b(model)
    model(tokens()).logsumexp(-1).mean().backward()
    with_grad = {n.split(".")[-1] for n, p in model.named_parameters() if p.grad is not None}
    assert with_grad == {"lora_A", "lora_B"}
    assert all(not p.requires_grad for n, p in model.named_parameters() if not n.endswith(("lora_A", "lora_B")))


def test_merged_state_dict_loads_into_plain_gpt():
    model = add_lora(small_gpt(), 4)
    randomise_b(model)
    x = tokens()
    plain = small_gpt(seed=5)
    plain.load_state_dict(merged_state_dict(model))
    assert torch.equal(plain(x), model(x))                     # the same products, in the same order
    assert sum(p.numel() for p in plain.parameters()) == 157_504
    unmerge_lora(model)
    assert not any(m.merged for m in lora_modules(model))


def test_lora_state_dict_is_the_factors():
    model = add_lora(small_gpt(), 2)
    d = lora_state_dict(model)
    assert sum(v.numel() for v in d.values()) == 1152 * 2
    randomise_b(model)
    x = tokens()
    y = model(x)
    other = add_lora(small_gpt(), 2, seed=9)
    other.load_state_dict(lora_state_dict(model), strict=False)
    assert torch.equal(other(x), y)


def test_adapters_zero_start_and_counts():
    base = small_gpt()
    x = tokens()
    model = add_adapters(small_gpt(), 8)
    assert torch.equal(model(x), base(x))
    assert trainable_parameters(model) == 3 * (2 * 64 * 8 + 8 + 64)
    assert all(isinstance(layer, AdaptedLayer) for layer in model.layers)
    near = Adapter(64, 8, init_std=1e-3)
    assert 0 < near.up.weight.abs().max() < 1e-2


def test_adam_state_bytes_match_torch():
    model = add_lora(small_gpt(), 4)
    randomise_b(model)
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad])
    model(tokens()).logsumexp(-1).mean().backward()
    opt.step()
    allocated = sum(s[k].numel() * s[k].element_size() for s in opt.state.values() for k in ("exp_avg", "exp_avg_sq"))
    assert allocated == adam_state_bytes(model) == 8 * 4608


# --- QLoRA -------------------------------------------------------------------------------

def test_quantize_base_storage_and_values():
    from lbdl_book.models.quantize import dequantize_blocks, quantize_blocks

    model = small_gpt()
    w = model.layers[0].feed_forward.linear1.weight.detach().clone()
    q = quantize_base(small_gpt())
    assert trainable_parameters(q) == 0
    read = q.layers[0].feed_forward.linear1.weight
    assert torch.equal(read, dequantize_blocks(quantize_blocks(w, "Q4_1"), "Q4_1"))
    quantized = 3 * (192 * 64 + 64 * 64 + 256 * 64 + 64 * 256)
    rest = 157_504 - quantized
    assert stored_bytes(q) == quantized // 32 * 20 + 4 * rest
    assert stored_bytes(small_gpt()) == 4 * 157_504


def test_qlora_trains_factors_only_and_saves_memory():
    q = add_lora(quantize_base(small_gpt()), 4)
    f = add_lora(small_gpt(), 4)
    assert trainable_parameters(q) == trainable_parameters(f) == 4608
    randomise_b(q)
    q(tokens()).logsumexp(-1).mean().backward()
    assert {n.split(".")[-1] for n, p in q.named_parameters() if p.grad is not None} == {"lora_A", "lora_B"}
    assert training_bytes(q) < training_bytes(f) / 3
    with pytest.raises(ValueError, match="quantized"):
        merged_state_dict(q)
    with pytest.raises(ValueError, match="quantized"):
        merge_lora(q)
    with pytest.raises(ValueError, match="quantized"):
        next(m for m in lora_modules(q) if isinstance(m, LoRALinear)).merge()     # on a quantized W^O


def test_harbour_log_in_vocabulary_and_seeded():
    from lbdl_book.models.gpt import char_tokenizer

    text = harbour_log(300, seed=3)
    vocab = set(char_tokenizer().decode(list(range(V))))
    assert set(text) <= vocab
    assert text == harbour_log(300, seed=3) and text != harbour_log(300, seed=4)
    assert text.count("\n") == 300


# --- the reference: peft -----------------------------------------------------------------

def test_matches_peft_lora_layer():
    import peft         # a pinned test dependency (requirements.txt): imported here only, never by lbdl_book
    torch.manual_seed(0)
    dtype = torch.float64
    model = torch.nn.Sequential(torch.nn.Linear(48, 40)).to(dtype)
    config = peft.LoraConfig(r=4, lora_alpha=10, target_modules=["0"], lora_dropout=0.0)
    theirs = peft.get_peft_model(model, config)
    layer = theirs.base_model.model[0]
    with torch.no_grad():
        layer.lora_B["default"].weight.normal_()
    base = Linear(48, 40).to(dtype)
    base.load_state_dict(layer.base_layer.state_dict())
    ours = LoRALinear(base, rank=4, alpha=10)
    with torch.no_grad():
        ours.lora_A.copy_(layer.lora_A["default"].weight)
        ours.lora_B.copy_(layer.lora_B["default"].weight)
    assert ours.scaling == layer.scaling["default"] == 2.5
    x1 = torch.randn(6, 48, dtype=dtype, requires_grad=True)
    x2 = x1.detach().clone().requires_grad_()
    y_ours, y_theirs = ours(x1), theirs(x2)
    # two orders of the same sums (D + R terms): within 2 (D + R + 3) u of the magnitudes
    u = torch.finfo(dtype).eps / 2
    w = base.weight.abs() + 2.5 * ours.lora_B.abs() @ ours.lora_A.abs()
    bound = 2 * (48 + 4 + 3) * u * (x1.abs() @ w.T + base.bias.abs())
    assert ((y_ours - y_theirs).abs() <= bound).all()
    g = torch.randn(6, 40, dtype=dtype)
    (y_ours * g).sum().backward()
    (y_theirs * g).sum().backward()
    # each gradient is a sum of products of the same factors in another order; with n the longest chain of sums,
    # the two are within 2 n u times the sum of the magnitudes of the terms
    a, b_, s = ours.lora_A.detach().abs(), ours.lora_B.detach().abs(), 2.5
    n = 6 + 40 + 48 + 4 + 3
    magnitudes = {"A": s * (g.abs() @ b_).T @ x1.detach().abs(), "B": s * g.abs().T @ (x1.detach().abs() @ a.T),
                  "x": g.abs() @ w}
    pairs = {"A": (ours.lora_A.grad, layer.lora_A["default"].weight.grad),
             "B": (ours.lora_B.grad, layer.lora_B["default"].weight.grad), "x": (x1.grad, x2.grad)}
    for key, (mine, other) in pairs.items():
        assert ((mine - other).abs() <= 2 * n * u * magnitudes[key]).all(), key
    assert layer.base_layer.weight.grad is None and base.weight.grad is None


# --- bad inputs --------------------------------------------------------------------------

def test_bad_inputs():
    with pytest.raises(TypeError, match="base"):
        LoRALinear(torch.nn.Linear(4, 4), 2)
    with pytest.raises(ValueError, match="rank"):
        LoRALinear(Linear(4, 4), 5)
    with pytest.raises(ValueError, match="rank"):
        LoRALinear(Linear(4, 4), 0)
    with pytest.raises(ValueError, match="alpha"):
        LoRALinear(Linear(4, 4), 2, alpha=-1.0)
    with pytest.raises(TypeError, match="targets"):
        add_lora(small_gpt(), 2, targets="qkv")
    with pytest.raises(ValueError, match="targets"):
        add_lora(small_gpt(), 2, targets=("mlp",))
    with pytest.raises(ValueError, match="LoRA"):
        add_lora(add_lora(small_gpt(), 2), 2)
    with pytest.raises(ValueError, match="no MultiHeadAttention"):
        add_lora(torch.nn.Linear(3, 3), 1)
    with pytest.raises(TypeError, match="layers"):
        add_adapters(torch.nn.Linear(3, 3), 2)
    with pytest.raises(ValueError, match="bottleneck"):
        Adapter(8, 0)
    with pytest.raises(ValueError, match="init_std"):
        Adapter(8, 2, init_std=-1.0)
    with pytest.raises(ValueError, match="multiple of 32"):
        QuantizedWeight(torch.randn(4, 20))
    with pytest.raises(ValueError, match="before adding LoRA"):
        quantize_base(add_lora(small_gpt(), 2))
    with pytest.raises(ValueError, match="entries"):
        harbour_log(0)
    with pytest.raises(TypeError, match="model"):
        freeze("model")
    with pytest.raises(ValueError, match="unmerged"):
        layer = LoRALinear(Linear(4, 4), 2).merge()
        merge_rounding_bound(layer, torch.randn(2, 4))
    assert math.isfinite(LoRAParametrization(4, 4, 2).scaling)
    with pytest.raises(ValueError, match="adapters"):
        merged_state_dict(add_adapters(small_gpt(), 2))
    assert merge_lora(small_gpt()) is not None
