"""§4.4 Pooling."""

# key: (English, 中文)
STRINGS: dict[str, tuple[str, str]] = {
    # Figure 4.6
    "pool_input": ("input $X$\n{d} × {t}", "输入 $X$\n{d} × {t}"),
    "pool_output": ("output $Y$\n{d} × {t}", "输出 $Y$\n{d} × {t}"),
    "pool_window_note": ("max over each 1 × {l} window", "在每个 1 × {l} 窗口上取最大值"),
    "pool_agree": ("max_pool1d and F.max_pool1d give the same tensor: {same}",
                   "max_pool1d 与 F.max_pool1d 的结果完全相同：{same}"),
    "pool_or": ("on maps of 0s and 1s, max pooling = logical OR: {same}", "在只含 0 和 1 的图上，最大池化 = 逻辑或：{same}"),
    # average pooling, gradients
    "pool_linearity": ("average pooling, |avg(2a − 3b) − (2 avg(a) − 3 avg(b))| ≤ {avg:.1e}; "
                       "max pooling, the same difference reaches {max:.2f}",
                       "平均池化：|avg(2a − 3b) − (2 avg(a) − 3 avg(b))| ≤ {avg:.1e}；"
                       "最大池化的同一差值可达 {max:.2f}"),
    "pool_gradients": ("row {row} of X:        {x}\ngradient, max pooling: {g_max}\ngradient, average:     {g_avg}",
                       "X 的第 {row} 行：       {x}\n最大池化的梯度：       {g_max}\n平均池化的梯度：       {g_avg}"),
    # shift experiment
    "pool_max": ("max pooling", "最大池化"),
    "pool_avg": ("average pooling", "平均池化"),
    "pool_kernel": ("kernel size $K$ (stride $K$)", "核大小 $K$（步幅 $K$）"),
    "pool_rel_change": ("relative change after a 1-pixel shift", "平移 1 像素后的相对变化"),
    "pool_unchanged": ("fraction of outputs left exactly unchanged", "完全不变的输出所占比例"),
    "pool_shift_report": ("K = {k}: relative change {max_change:.3f} (max), {avg_change:.3f} (average); "
                          "outputs unchanged {max_same:.0%} (max), {avg_same:.0%} (average)",
                          "K = {k}：相对变化 {max_change:.3f}（最大池化）、{avg_change:.3f}（平均池化）；"
                          "完全不变的输出 {max_same:.0%}（最大池化）、{avg_same:.0%}（平均池化）"),
    "pool_equivariance": ("convolution: |conv(shift x) − shift(conv x)| ≤ {conv:.1e}; global average pooling: "
                          "|gap(shift x) − gap(x)| ≤ {gap:.1e}; 2 × 2 max pooling: |pool(shift x) − pool(x)| up to {pool:.2f}",
                          "卷积：|conv(shift x) − shift(conv x)| ≤ {conv:.1e}；全局平均池化："
                          "|gap(shift x) − gap(x)| ≤ {gap:.1e}；2 × 2 最大池化：|pool(shift x) − pool(x)| 可达 {pool:.2f}"),
    # pooling in a network
    "pool_layer_row": ("{layer:<10} output {shape!s:<14} {params:>7,} parameters",
                       "{layer:<10} 输出 {shape!s:<14} {params:>7,} 个参数"),
    "pool_gap_report": ("ResNet-50 head on 2048 × 7 × 7: flatten + fully connected layer {flat:,} parameters; "
                        "global average pooling + fully connected layer {gap:,} ({ratio:.0f} times fewer)",
                        "ResNet-50 在 2048 × 7 × 7 上的输出头：展平 + 全连接层 {flat:,} 个参数；"
                        "全局平均池化 + 全连接层 {gap:,} 个参数（少 {ratio:.0f} 倍）"),
    "pool_checked": ("Figure 4.6, average pooling is linear, logical OR, shift robustness, sizes in a network",
                     "图 4.6、平均池化的线性、逻辑或、对平移的鲁棒性、网络中的尺寸"),
}
