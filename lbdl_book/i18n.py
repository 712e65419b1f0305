"""English and Chinese strings for figure labels and printed output.

Code cells are byte-identical in ``book/en`` and ``book/zh``; what they show in the
reader's language comes from this catalogue, looked up with :func:`t`. Entries are
``str.format`` templates: write a literal brace of LaTeX as ``{{`` or ``}}``. Keep the
entries grouped by the section that uses them.
"""

from __future__ import annotations

from .config import lang

# key: (English, 中文)
STRINGS: dict[str, tuple[str, str]] = {
    # shared
    "x": ("$x$", "$x$"),
    "y": ("$y$", "$y$"),
    "train_points": ("training points", "训练点"),
    "test_points": ("test points", "测试点"),
    "true_function": ("true function", "真实函数"),
    "fit": ("fit", "拟合结果"),
    "train_mse": ("training MSE", "训练 MSE"),
    "test_mse": ("test MSE", "测试 MSE"),
    "accuracy": ("accuracy", "准确率"),
    "loss": ("loss", "损失"),
    "epoch": ("epoch", "轮次"),
    "step": ("step", "步数"),
    "training": ("training", "训练"),
    "check_passed": ("check passed: {claim}", "检查通过：{claim}"),
    # preface
    "env_device": ("device", "设备"),
    "env_profile": ("profile", "配置档"),
    "env_language": ("language", "语言"),
    "env_torch": ("PyTorch", "PyTorch"),
    # 1.1 learning from data
    "grid_search": ("grid search", "网格搜索"),
    "gradient_descent": ("gradient descent", "梯度下降"),
    "slope_w": ("slope $w$", "斜率 $w$"),
    "loss_of_w": ("loss $\\mathcal{{L}}(w)$", "损失 $\\mathcal{{L}}(w)$"),
    "best_w": ("$w^*$ = {w:.3f}", "$w^*$ = {w:.3f}"),
    "signal_axis": ("signal $x$", "信号 $x$"),
    "target_axis": ("quantity to predict $y$", "待预测的量 $y$"),
    # 1.2 basis function regression
    "weighted_basis": ("weighted basis functions $w_k f_k$", "加权基函数 $w_k f_k$"),
    "basis_title": (
        "$K$ = {K} Gaussian bases, width $\\sigma$ = {sigma}",
        "$K$ = {K} 个高斯基函数，宽度 $\\sigma$ = {sigma}",
    ),
    "mse_pair": ("train MSE {train:.3f} · test MSE {test:.3f}", "训练 MSE {train:.3f} · 测试 MSE {test:.3f}"),
    "num_bases": ("number of basis functions $K$", "基函数个数 $K$"),
    "basis_width": ("width $\\sigma$", "宽度 $\\sigma$"),
    "closed_form": ("closed form (least squares)", "闭式解（最小二乘）"),
    "gd_iterations": ("gradient-descent step", "梯度下降步数"),
    "weight_index": ("basis index $k$", "基函数序号 $k$"),
    "weight_value": ("weight $w_k$", "权重 $w_k$"),
    "distance_to_closed_form": (
        "$\\|w_t - w^*\\|$ (distance to the closed form)",
        "$\\|w_t - w^*\\|$（到闭式解的距离）",
    ),
    # 1.3 under- and overfitting
    "overfit_title": ("{N} points, {K} narrow bases", "{N} 个点，{K} 个窄基函数"),
    "underfit_title": ("{N} points, {K} wide bases", "{N} 个点，{K} 个宽基函数"),
    "goodfit_title": ("{N} points, {K} bases", "{N} 个点，{K} 个基函数"),
    "capacity_axis": ("capacity: number of basis functions $K$", "容量：基函数个数 $K$"),
    "mse_axis": ("mean squared error (log scale)", "均方误差（对数坐标）"),
    "underfitting": ("underfitting", "欠拟合"),
    "overfitting": ("overfitting", "过拟合"),
    "interpolation_threshold": ("$K = N$", "$K = N$"),
    "ridge_label": ("with weight decay $\\lambda$ = {lam:g}", "加权重衰减 $\\lambda$ = {lam:g}"),
    # 1.4 categories of models
    "regression": ("regression", "回归"),
    "classification": ("classification", "分类"),
    "density_modelling": ("density modelling", "密度建模"),
    "regression_title": ("regression: predict $x_2$ from $x_1$", "回归：由 $x_1$ 预测 $x_2$"),
    "classification_title": ("classification: predict the cluster", "分类：预测所属的簇"),
    "density_title": ("density modelling: $\\mu_X$ and samples", "密度建模：$\\mu_X$ 与采样"),
    "samples": ("samples from the model", "从模型中采样"),
    "data": ("data", "数据"),
    "class_k": ("class {k}", "类别 {k}"),
    "nll": ("negative log-likelihood", "负对数似然"),
    "cross_entropy": ("cross-entropy", "交叉熵"),
    # 2.1 GPUs, TPUs and batches
    "batch_size": ("batch size $B$", "批次大小 $B$"),
    "intensity_axis": ("FLOPs per byte moved", "每搬运一字节的浮点运算次数"),
    "intensity_title": ("arithmetic intensity of a {d}x{d} linear layer", "{d}x{d} 线性层的计算强度"),
    "one_at_a_time": ("one sample at a time", "逐个样本"),
    "batched": ("whole batch at once", "整批一次计算"),
    "time_per_batch": ("time for the batch (s)", "整批耗时（秒）"),
    "time_per_sample": ("time per sample (µs)", "每个样本耗时（微秒）"),
    "no_gpu_link": (
        "No GPU on this machine: there is no host-to-device copy to measure here. "
        "Run this notebook on a machine with CUDA to see it.",
        "本机没有 GPU，因此无法测量主机到设备的拷贝。请在有 CUDA 的机器上运行本笔记本查看结果。",
    ),
    # 2.2 tensors
    "operation": ("operation", "操作"),
    "storage_original": ("x = arange(12).reshape(3, 4), stride {stride}", "x = arange(12).reshape(3, 4)，步长 {stride}"),
    "shape_stride": ("shape {shape}, stride {stride}", "形状 {shape}，步长 {stride}"),
    "view_shares": ("a view: same memory as x", "视图：与 x 共享内存"),
    "view_copies": ("a copy: new memory", "副本：新分配的内存"),
    # 3.1 losses
    "density": ("density", "密度"),
    "mixture_k": ("mixture with K = {k}, NLL {nll:.3f}", "K = {k} 的混合模型，负对数似然 {nll:.3f}"),
    "error_rate": ("error rate", "错误率"),
    "embedding_before": ("embeddings before training", "训练前的嵌入"),
    "embedding_after": ("after training with the triplet loss", "用三元组损失训练之后"),
}


def t(key: str, **values) -> str:
    """The catalogue entry ``key`` in the current :func:`~lbdl_book.config.lang`,
    formatted with ``values`` (``t("class_k", k=2)`` → ``"class 2"`` / ``"类别 2"``)."""
    if not isinstance(key, str):
        raise TypeError(f"key must be a str, got {type(key).__name__}")
    if key not in STRINGS:
        raise ValueError(f"no string {key!r} in lbdl_book.i18n.STRINGS")
    text = STRINGS[key][0 if lang() == "en" else 1]
    try:
        return text.format(**values)
    except KeyError as error:
        raise ValueError(f"string {key!r} needs the value {error.args[0]!r}") from None
