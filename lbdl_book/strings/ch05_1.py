"""§5.1 Multi-layer perceptrons."""

# key: (English, 中文)
STRINGS: dict[str, tuple[str, str]] = {
    # Figure 5.1 and the parameter count
    "mlp_hidden_layers": ("hidden layers", "隐藏层"),
    "mlp_layer_row": ("layer {k}: fully-conn {d_in} → {d_out}: {d_out} × {d_in} = {weights:,} weights "
                      "+ {biases} biases = {total:,} parameters",
                      "第 {k} 层：全连接 {d_in} → {d_out}：{d_out} × {d_in} = {weights:,} 个权重 "
                      "+ {biases} 个偏置 = {total:,} 个参数"),
    "mlp_total": ("total: {total:,} parameters; {linear} fully connected layers, hence {hidden} hidden layers",
                  "合计：{total:,} 个参数；{linear} 个全连接层，因此有 {hidden} 个隐藏层"),
    # the construction and the width sweep
    "mlp_construction_row": ("width {m:>3}: {pieces:>3} pieces of length h = {h:.4f}, "
                             "max error {error:.2e} (bound {bound:.2e})",
                             "宽度 {m:>3}：{pieces:>3} 段，每段长 h = {h:.4f}，"
                             "最大误差 {error:.2e}（上界 {bound:.2e}）"),
    "mlp_train_time": ("trained {models} networks ({params:,} parameters in all) "
                       "with {steps} Adam steps in {seconds:.1f} s",
                       "用 {steps} 步 Adam 训练了 {models} 个网络（共 {params:,} 个参数），用时 {seconds:.1f} 秒"),
    "mlp_split_gap": ("separate networks against the bank: largest difference {gap:.1e} "
                      "(rounding bound {bound:.1e})",
                      "单独的网络与合并计算的结果相比：最大差异 {gap:.1e}（舍入误差上界 {bound:.1e}）"),
    "mlp_tanh_floor": ("tanh, widths 64 to 256: max error between {low:.4f} and {high:.4f}",
                       "tanh，宽度 64 到 256：最大误差在 {low:.4f} 与 {high:.4f} 之间"),
    "mlp_sweep_header": ("max error on [-2, 2]", "[-2, 2] 上的最大误差"),
    "mlp_sweep_row": ("width {m:>3}: tanh {tanh:.4f} | ReLU {relu:.4f} (units alive: {alive}/{m}) "
                      "| x² {square:.4f} | ReLU constructed {built:.5f}",
                      "宽度 {m:>3}：tanh {tanh:.4f} | ReLU {relu:.4f}（存活单元：{alive}/{m}）"
                      "| x² {square:.4f} | ReLU 构造 {built:.5f}"),
    "mlp_width": ("width $m$ of the hidden layer", "隐藏层宽度 $m$"),
    "mlp_max_error": ("max error on $[-2, 2]$", "$[-2, 2]$ 上的最大误差"),
    "mlp_trained": ("{activation}, trained", "{activation}，训练所得"),
    "mlp_constructed": ("ReLU, constructed", "ReLU，构造所得"),
    "mlp_bound": ("bound $11 h^2 / 8$", "上界 $11 h^2 / 8$"),
    "mlp_best_quadratic": ("best quadratic", "最佳二次多项式"),
    # the explorer
    "mlp_target": ("$f(x) = \\sin 3x + x^2$", "$f(x) = \\sin 3x + x^2$"),
    "mlp_network": ("network", "网络"),
    "mlp_explore_title": ("activation {activation}, width {m}: max error {error:.3f}",
                          "激活函数 {activation}，宽度 {m}：最大误差 {error:.3f}"),
    "mlp_slider_width": ("hidden width $m$", "隐藏层宽度 $m$"),
    "mlp_slider_activation": ("activation", "激活函数"),
    # the polynomial activation
    "mlp_abs": ("$|x|$", "$|x|$"),
    "mlp_square_net": ("$x^2$ activation, width {m}", "$x^2$ 激活，宽度 {m}"),
    "mlp_relu_two": ("ReLU, 2 units: relu$(x)$ + relu$(-x)$", "ReLU，2 个单元：relu$(x)$ + relu$(-x)$"),
    "mlp_poly_row": ("x² activation, width {m:>3}: mean squared error {mse:.6f}, "
                     "distance to a parabola {residual:.1e}",
                     "x² 激活，宽度 {m:>3}：均方误差 {mse:.6f}，与抛物线的距离 {residual:.1e}"),
    "mlp_poly_best": ("best parabola: mean squared error {mse:.6f}; ReLU with 2 units: max error {relu:.1e}",
                      "最佳抛物线：均方误差 {mse:.6f}；2 个单元的 ReLU 网络：最大误差 {relu:.1e}"),
    # the classification example
    "mlp_linear_title": ("no hidden layer (linear)\ntest accuracy {acc:.1%}",
                         "无隐藏层（线性）\n测试准确率 {acc:.1%}"),
    "mlp_mlp_title": ("two hidden layers, 2 → 25 → 10 → 2\ntest accuracy {acc:.1%}",
                      "两个隐藏层，2 → 25 → 10 → 2\n测试准确率 {acc:.1%}"),
    "mlp_class_row": ("{name}: {params:>3} parameters, training accuracy {train:.1%}, test accuracy {test:.1%}",
                      "{name}：{params:>3} 个参数，训练准确率 {train:.1%}，测试准确率 {test:.1%}"),
    "mlp_best_line": ("trained linear classifier: {trained:.1%} of the test points; best line on the distribution: "
                      "{best:.1%}; best of 180 × 1,001 lines on the test points: {scanned:.1%}; MLP: {mlp:.1%}",
                      "训练得到的线性分类器：测试点的 {trained:.1%}；在数据分布上最好的直线：{best:.1%}；"
                      "在测试点上试过的 180 × 1,001 条直线中最好的一条：{scanned:.1%}；MLP：{mlp:.1%}"),
    "mlp_linear_name": ("MLP((2, 2)), linear", "MLP((2, 2))，线性"),
    "mlp_mlp_name": ("MLP((2, 25, 10, 2))", "MLP((2, 25, 10, 2))"),
    "mlp_check_claim": ("Figure 5.1 (1,557 parameters), universal approximation, x² activation, "
                        "decision boundaries",
                        "图 5.1（1,557 个参数）、通用逼近、x² 激活、决策边界"),
}
