"""§4.3 Activation functions."""

# key: (English, 中文)
STRINGS: dict[str, tuple[str, str]] = {
    # why a non-linearity
    "act_collapse": ("five stacked linear layers against the single affine map W x + b: largest difference {error:.1e}",
                     "五个线性层的堆叠与单个仿射映射 W x + b 相比：最大差异 {error:.1e}"),
    "act_none": ("no activation", "无激活函数"),
    "act_tanh": ("tanh", "tanh"),
    "act_relu": ("ReLU", "ReLU"),
    "act_fit_label": ("{name}: training MSE {loss:.3f}", "{name}：训练 MSE {loss:.3f}"),
    "act_best_line": ("best straight line (least squares, closed form): training MSE {loss:.3f}",
                      "最佳直线（最小二乘闭式解）：训练 MSE {loss:.3f}"),
    # Figure 4.5
    "act_leaky_panel": ("leaky ReLU ($a = 0.1$)", "泄漏 ReLU（$a = 0.1$）"),
    "act_gelu": ("GELU", "GELU"),
    # explorer
    "act_density": ("pre-activations ~ $\\mathcal{{N}}(0, {s}^2)$", "预激活值 ~ $\\mathcal{{N}}(0, {s}^2)$"),
    "act_function": ("function", "函数"),
    "act_derivative": ("derivative", "导数"),
    "act_explore_title": ("{name}: mean derivative {mean:.3f}, below 0.05 for {blocked:.0%}",
                          "{name}：平均导数 {mean:.3f}，{blocked:.0%} 的值导数低于 0.05"),
    "act_slider_function": ("activation", "激活函数"),
    "act_slider_scale": ("spread $s$ of the pre-activations", "预激活值的尺度 $s$"),
    # saturation and depth
    "act_depth_line": ("{name:8} gain {gain:.2f}: gradient at the input / at the output = {ratio:.2g}, "
                       "mean derivative {slope:.2f}",
                       "{name:8} 增益 {gain:.2f}：输入处梯度 / 输出处梯度 = {ratio:.2g}，平均导数 {slope:.2f}"),
    "act_layer": ("layer", "层"),
    "act_grad_ratio": ("gradient norm / norm at the output", "梯度范数 / 输出处的范数"),
    "act_mean_derivative": ("mean derivative", "平均导数"),
    "act_saturation_line": ("pre-activations ~ N(0, {s}²): mean derivative of tanh {tanh:.3f}, "
                            "sigmoid {sigmoid:.3f}, ReLU {relu:.3f}",
                            "预激活值 ~ N(0, {s}²)：平均导数 tanh {tanh:.3f}，sigmoid {sigmoid:.3f}，ReLU {relu:.3f}"),
    # ReLU at initialisation
    "act_normalized": ("normalised pixels", "归一化的像素"),
    "act_raw": ("raw pixels, white = 255", "原始像素，白色为 255"),
    "act_relu_line": ("{name}: fraction of positive activations per layer {positive}, "
                      "fraction of units off for every image {dead}",
                      "{name}：各层正激活值的比例 {positive}，对所有图像都不激活的单元比例 {dead}"),
    "act_exact_zeros": ("pre-activations exactly equal to 0: {zeros} out of {count:,}",
                        "恰好等于 0 的预激活值：{count:,} 个中有 {zeros} 个"),
    "act_fraction_positive": ("fraction of positive activations", "正激活值的比例"),
    "act_fraction_dead": ("fraction of units off for every image", "对所有图像都不激活的单元比例"),
    # GELU
    "act_gelu_gap": ("largest |exact GELU − tanh approximation| = {gap:.2e}, at x = {where:.2f}",
                     "精确 GELU 与 tanh 近似之差的最大值 = {gap:.2e}，位于 x = {where:.2f}"),
    "act_gelu_minimum": ("minimum of GELU: {value:.4f} at x = {where:.3f}", "GELU 的最小值：{value:.4f}，位于 x = {where:.3f}"),
    "act_gelu_vs_relu": ("largest |GELU − ReLU| for |x| ≥ 4: {gap:.1e}", "|x| ≥ 4 时 GELU 与 ReLU 之差的最大值：{gap:.1e}"),
    # exercises
    "act_dead_line": ("{name}: {off:.0%} of the units off for every image; all their gradients exactly zero: {zero}",
                      "{name}：{off:.0%} 的单元对每张图像都不激活；这些单元的梯度是否全部恰好为零：{zero}"),
    "act_gelu_root": ("minimum of GELU at x = {root:.10f}, value {value:.10f}",
                      "GELU 的最小值位于 x = {root:.10f}，取值 {value:.10f}"),
    "act_checked": ("collapse of linear stacks, saturation, gradient through depth, ReLU at initialisation, GELU",
                    "线性层堆叠的坍缩、饱和、梯度随深度的变化、初始化时的 ReLU、GELU"),
}
