"""§4.2 Linear layers: fully connected layers and convolutions."""

# key: (English, 中文)
STRINGS: dict[str, tuple[str, str]] = {
    # fully connected layers
    "lin_fc_shapes": ("input {x} → output {y}; largest difference with W x + b computed vector by vector: "
                      "{loop:.1e}, with nn.Linear (same weights): {torch:.1e}",
                      "输入 {x} → 输出 {y}；与逐个向量计算 W x + b 的最大差异：{loop:.1e}，"
                      "与 nn.Linear（相同权重）的最大差异：{torch:.1e}"),
    "lin_fc_params": ("parameters: D'·D + D' = {d_out}·{d_in} + {d_out} = {n}",
                      "参数个数：D'·D + D' = {d_out}·{d_in} + {d_out} = {n}"),
    "lin_projection": ("projection: keeps {kept:.0%} of the variance", "投影：保留 {kept:.0%} 的方差"),
    "lin_filtering": ("filtering: rows = shifted copies of one pattern", "滤波：每一行都是同一模式的平移"),
    "lin_signal": ("signal $x$", "信号 $x$"),
    "lin_filtered": ("$W x$", "$W x$"),
    "lin_position": ("position", "位置"),
    "lin_matching": ("matching: scores $W x$ of 6 keys", "匹配：6 个键的得分 $W x$"),
    "lin_key_index": ("key (row of $W$)", "键（$W$ 的行）"),
    "lin_score": ("score", "得分"),
    "lin_readings": ("projection: {kept:.1%} of the variance kept; filtering: noise std {before:.3f} → {after:.3f}; "
                     "matching: the best key is {best}",
                     "投影：保留 {kept:.1%} 的方差；滤波：噪声标准差 {before:.3f} → {after:.3f}；匹配：得分最高的键是 {best}"),
    # initialisation
    "lin_init_unit": ("$\\mathcal{{N}}(0, 1)$", "$\\mathcal{{N}}(0, 1)$"),
    "lin_init_fan_in": ("$\\mathcal{{N}}(0, 1/D)$", "$\\mathcal{{N}}(0, 1/D)$"),
    "lin_init_fan_in_relu": ("$\\mathcal{{N}}(0, 2/D)$", "$\\mathcal{{N}}(0, 2/D)$"),
    "lin_init_default": ("$\\mathcal{{U}}(\\pm 1/\\sqrt{{D}})$ (PyTorch default)",
                         "$\\mathcal{{U}}(\\pm 1/\\sqrt{{D}})$（PyTorch 默认）"),
    "lin_init_unit_text": ("N(0, 1)", "N(0, 1)"),
    "lin_init_fan_in_text": ("N(0, 1/D)", "N(0, 1/D)"),
    "lin_init_fan_in_relu_text": ("N(0, 2/D)", "N(0, 2/D)"),
    "lin_init_default_text": ("U(±1/√D), PyTorch's default", "U(±1/√D)，PyTorch 默认"),
    "lin_layer": ("layer", "层"),
    "lin_activation_std": ("std of the activations", "激活值的标准差"),
    "lin_init_line": ("{name:<28} std after 50 layers {last:9.2e}; per layer ×{factor:.3f} (predicted ×{predicted:.3f})",
                      "{name}：50 层后的标准差 {last:.2e}，每层 ×{factor:.3f}（理论值 ×{predicted:.3f}）"),
    # the 256 × 256 image
    "lin_fc_image": ("fully connected, 3×256×256 → 3×256×256: {weights:,} weights ({gb:.0f} GB in float32)",
                     "全连接层，3×256×256 → 3×256×256：{weights:,} 个权重（float32 下 {gb:.0f} GB）"),
    "lin_conv_image": ("3×3 convolution, 3 → 3 channels: {params} parameters, {mults:,} multiplications, output {shape}",
                       "3×3 卷积，3 → 3 个通道：{params} 个参数，{mults:,} 次乘法，输出 {shape}"),
    # Figures 4.1 and 4.2
    "lin_fig41_conv_step": ("convolution: window {t}", "卷积：第 {t} 个窗口"),
    "lin_fig41_tconv_step": ("transposed convolution: column {t}", "转置卷积：第 {t} 列"),
    "lin_fig41_shapes": ("convolution {x} → {y}; transposed convolution {xt} → {yt}",
                         "卷积 {x} → {y}；转置卷积 {xt} → {yt}"),
    "lin_windows": ("φ window by window", "逐个窗口作用 φ"),
    "lin_patches": ("sum of shifted ψ patches", "平移后的 ψ 块之和"),
    "lin_gap": ("largest difference, {name}: {gap:.1e}, {ratio:.2f} of its rounding bound",
                "最大差异，{name}：{gap:.1e}，为舍入误差上界的 {ratio:.2f} 倍"),
    "lin_any_length": ("input length {T}: convolution output {conv}, transposed convolution output {tconv}",
                       "输入长度 {T}：卷积输出长度 {conv}，转置卷积输出长度 {tconv}"),
    "lin_fig42_conv": ("2D convolution {x} → {y}", "二维卷积 {x} → {y}"),
    "lin_fig42_tconv": ("2D transposed convolution {x} → {y}", "二维转置卷积 {x} → {y}"),
    "lin_equivariance": ("shift by 6 then convolve = convolve then shift, away from the borders: largest difference "
                         "{gap:.1e}; with circular padding, everywhere: {circular:.1e}",
                         "先平移 6 格再卷积 = 先卷积再平移（远离边界处）：最大差异 {gap:.1e}；"
                         "使用循环填充时处处成立：{circular:.1e}"),
    # Figure 4.3, sizes, explorer
    "lin_fig43_stride": ("stride $s = 2$: {out} outputs", "步幅 $s = 2$：{out} 个输出"),
    "lin_fig43_padding": ("padding $p = 2$: {out} outputs", "填充 $p = 2$：{out} 个输出"),
    "lin_fig43_dilation": ("dilation $d = 2$: {out} outputs", "膨胀 $d = 2$：{out} 个输出"),
    "lin_size_header": ("   T   K   s   p   d  (T−K)/S+1  formula  nn.Conv1d  ours",
                        "   T   K   s   p   d  (T−K)/S+1     公式  nn.Conv1d  我们的"),
    "lin_explorer_title": ("$K = {K}$, $s = {s}$, $p = {p}$, $d = {d}$: 10 input cells → {out} outputs",
                           "$K = {K}$，$s = {s}$，$p = {p}$，$d = {d}$：10 个输入格 → {out} 个输出"),
    "lin_kernel_size": ("kernel size $K$", "卷积核大小 $K$"),
    "lin_stride": ("stride $s$", "步幅 $s$"),
    "lin_padding": ("padding $p$", "填充 $p$"),
    "lin_dilation": ("dilation $d$", "膨胀 $d$"),
    # Figure 4.4 and the receptive-field explorer
    "lin_fig44_panel": ("depth {depth}: {side}×{side}", "深度 {depth}：{side}×{side}"),
    "lin_fig44_report": ("measured side of the receptive field: {measured}; recurrence: {predicted}",
                         "实测的感受野边长：{measured}；递推公式：{predicted}"),
    "lin_depth": ("depth", "深度"),
    "lin_growth": ("growth", "增长方式"),
    "lin_growth_plain": ("plain", "普通"),
    "lin_growth_stride": ("stride 2", "步幅 2"),
    "lin_growth_dilation": ("dilation 1, 2, 4, …", "膨胀 1, 2, 4, …"),
    "lin_input_position": ("position in the input", "在输入中的位置"),
    "lin_rf_title": ("receptive field {size} (measured: {measured}), jump {jump}",
                     "感受野 {size}（实测 {measured}），跳距 {jump}"),
    "lin_encoder_line": ("{shape!s:<15} {values:>7,} values, receptive field {field}",
                         "{shape!s:<15} {values:>7,} 个数值，感受野 {field}"),
    # filters
    "lin_filters_report": ("Sobel: mean edge strength on the square's border {border:.2f}, largest inside {inside:.1e}; "
                           "template matching: planted at {planted}, found at {found}",
                           "Sobel：正方形边界上的平均边缘强度 {border:.2f}，内部最大值 {inside:.1e}；"
                           "模板匹配：图案放在 {planted}，找到的位置 {found}"),
    "lin_image": ("image", "图像"),
    "lin_sobel": ("Sobel edge strength", "Sobel 边缘强度"),
    "lin_scene": ("scene: 3 plus signs, 3 crosses", "场景：3 个加号、3 个叉号"),
    "lin_scores": ("matching scores, top 3", "匹配得分与前 3 名"),
    # transposed convolutions
    "lin_adjoint": ("⟨conv(x), y⟩ = {left:.5f}, ⟨x, conv_transpose(y)⟩ = {right:.5f}; "
                    "conv_transpose(conv(x)) differs from x by {error:.0%}: the transpose, not the inverse",
                    "⟨conv(x), y⟩ = {left:.5f}，⟨x, conv_transpose(y)⟩ = {right:.5f}；"
                    "conv_transpose(conv(x)) 与 x 相差 {error:.0%}：这是转置，不是逆"),
    "lin_upsampling": ("8×8 → {shape}; largest difference with bilinear interpolation inside the border {gap:.1e}; "
                       "patches received per cell, kernel 3: {counts3}, kernel 4: {counts4}",
                       "8×8 → {shape}；边界以内与双线性插值的最大差异 {gap:.1e}；"
                       "每格收到的块数，卷积核 3：{counts3}，卷积核 4：{counts4}"),
    "lin_coarse": ("8×8 map", "8×8 的图"),
    "lin_patches_per_cell": ("patches per cell", "每格的块数"),
    "lin_upsampled": ("transposed conv., bilinear kernel", "转置卷积（双线性核）"),
    "lin_overlap": ("overlaps, kernel {k}, stride 2", "重叠次数，卷积核 {k}，步幅 2"),
    # 1 × 1 convolutions and speed
    "lin_pointwise": ("1×1 convolution vs fully connected layer at every pixel: largest difference {gap:.1e}",
                      "1×1 卷积与逐像素全连接层：最大差异 {gap:.1e}"),
    "lin_speed": ("on {device}, {threads} thread(s), median times:\n"
                  "  forward           ours {ours_f:7.1f} ms   F.conv2d {torch_f:7.1f} ms   ratio {ratio_f:.1f}\n"
                  "  forward+backward  ours {ours_fb:7.1f} ms   F.conv2d {torch_fb:7.1f} ms   ratio {ratio_fb:.1f}\n"
                  "  largest difference between the outputs: {gap:.2f} of its rounding bound",
                  "在 {device} 上，{threads} 个线程，中位时间：\n"
                  "  前向          我们的 {ours_f:7.1f} 毫秒   F.conv2d {torch_f:7.1f} 毫秒   比值 {ratio_f:.1f}\n"
                  "  前向+反向     我们的 {ours_fb:7.1f} 毫秒   F.conv2d {torch_fb:7.1f} 毫秒   比值 {ratio_fb:.1f}\n"
                  "  两者输出的最大差异：舍入误差上界的 {gap:.2f} 倍"),
    "lin_checked": ("fully connected layers, initialisation, Figures 4.1–4.4, sizes, receptive fields, filters, "
                    "transposed convolutions",
                    "全连接层、初始化、图 4.1–4.4、输出尺寸、感受野、滤波器、转置卷积"),
}
