"""Chapter 1: machine learning."""

# key: (English, 中文)
STRINGS: dict[str, tuple[str, str]] = {
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
}
