"""Chapter 3: training."""

# key: (English, 中文)
STRINGS: dict[str, tuple[str, str]] = {
    # 3.1 losses
    "density": ("density", "密度"),
    "mixture_k": ("mixture with K = {k}, NLL {nll:.3f}", "K = {k} 的混合模型，负对数似然 {nll:.3f}"),
    "error_rate": ("error rate", "错误率"),
    "embedding_before": ("embeddings before training", "训练前的嵌入"),
    "embedding_after": ("after training with the triplet loss", "用三元组损失训练之后"),
}
