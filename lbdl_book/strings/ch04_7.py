"""§4.7 Skip connections."""

# key: (English, 中文)
STRINGS: dict[str, tuple[str, str]] = {
    # Figure 4.10
    "skip_panel_long": ("skips across layers", "跨层的跳跃连接"),
    "skip_panel_multiscale": ("multi-scale", "多尺度"),
    "skip_panel_residual": ("residual connections", "残差连接"),
    # gradient norms
    "skip_plain": ("plain", "普通网络"),
    "skip_residual": ("residual", "残差网络"),
    "skip_profile_row": ("{name}: gradient norm of layer 1 {first:.2e}, of layer 50 {last:.2e}, ratio {ratio:.1e}; "
                         "largest / smallest over the layers {spread:.3g}",
                         "{name}：第 1 层梯度范数 {first:.2e}，第 50 层 {last:.2e}，比值 {ratio:.1e}；"
                         "各层最大值与最小值之比 {spread:.3g}"),
    "skip_layer": ("layer $l$", "第 $l$ 层"),
    "skip_gradient_norm": ("norm of the weight gradient", "权重梯度的范数"),
    "skip_legend_ratio": ("{name} (layer 1 / layer 50: {ratio:.0e})", "{name}（第 1 层 / 第 50 层：{ratio:.0e}）"),
    "skip_explore_title": ("{norm}, {init} initialisation", "{norm}，{init} 初始化"),
    "skip_norm_slider": ("normalization", "归一化"),
    "skip_init_slider": ("initialisation", "初始化"),
    "skip_norm_none": ("no normalization", "无归一化"),
    "skip_norm_layer": ("layer normalization", "层归一化"),
    "skip_norm_batch": ("batch normalization", "批量归一化"),
    "skip_init_default": ("PyTorch's default", "PyTorch 默认"),
    "skip_init_he": ("He", "He"),
    # training
    "skip_train_row": ("{name}: input dependence of the last representation at initialisation {dependence:.3f}; "
                       "after training, loss {loss:.3f}, validation accuracy {acc:.1%}",
                       "{name}：初始化时最后一层表示对输入的依赖程度 {dependence:.3f}；训练后损失 {loss:.3f}，"
                       "验证准确率 {acc:.1%}"),
    "skip_training_loss": ("training loss", "训练损失"),
    "skip_check_claim": ("gradient flow at initialisation, training of a 50-layer plain and residual network",
                         "初始化时的梯度传播、50 层普通网络与残差网络的训练"),
    # exercises
    "skip_jacobian": ("largest difference between the Jacobian of the block and I + J_f: {error:.1e}; stack of ten "
                      "blocks with zeroed branches, distance to I: {identity:g}",
                      "残差块的雅可比矩阵与 I + J_f 的最大差异：{error:.1e}；"
                      "分支末层置零的十个块，与 I 的距离：{identity:g}"),
    "skip_concat_params": ("parameters: residual chain {residual:,}, concatenating chain {concat:,} ({ratio:.1f} times "
                           "more)",
                           "参数量：残差链 {residual:,}，拼接链 {concat:,}（是前者的 {ratio:.1f} 倍）"),
    "skip_growth": ("growth of the mean square per block: {default:.3f} with the default initialisation, {he:.3f} "
                    "with He's",
                    "每个块的均方增长倍数：默认初始化 {default:.3f}，He 初始化 {he:.3f}"),
}
