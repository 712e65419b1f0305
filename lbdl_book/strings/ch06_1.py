"""§6.1 Image denoising (den_)."""

# key: (English, 中文)
STRINGS: dict[str, tuple[str, str]] = {
    # the degradations
    "den_clean": ("clean", "原图"),
    "den_kind_noise": ("noise", "噪声"),
    "den_kind_hole": ("hole", "缺块"),
    "den_kind_downscale": ("low resolution", "低分辨率"),
    "den_kind_greyscale": ("greyscale", "灰度"),
    "den_kind_blur": ("defocus blur", "失焦模糊"),
    "den_label_noise": ("noise σ = {level:g}", "噪声 σ = {level:g}"),
    "den_label_hole": ("hole {level}×{level}", "{level}×{level} 缺块"),
    "den_label_downscale": ("1/{level} resolution", "1/{level} 分辨率"),
    "den_label_greyscale": ("greyscale {level:.0%}", "去色 {level:.0%}"),
    "den_label_blur": ("defocus r = {level:g}", "失焦 r = {level:g}"),
    "den_data": ("{n} scenes of {size}×{size} pixels; each image degraded five ways, same shape as the clean one: "
                 "{shape}",
                 "{n} 个 {size}×{size} 像素的场景；每张图像以五种方式退化，形状与原图相同：{shape}"),
    # the network
    "den_model": ("Denoiser{widths}: {params:,} parameters ({kib:.0f} KiB in float32)",
                  "Denoiser{widths}：{params:,} 个参数（float32 下 {kib:.0f} KiB）"),
    "den_shape_row": ("{name:<10} {shape}", "{name:<10} {shape}"),
    # training
    "den_live": ("live run: {images} degraded scenes (seed {seed}), {epochs} epochs of {steps} steps in {seconds:.1f} s "
                 "of CPU time on {device}; training loss {first:.4f} → {last:.4f}",
                 "现场训练：{images} 张退化场景（种子 {seed}），{epochs} 轮（每轮 {steps} 步），在 {device} 上用 "
                 "{seconds:.1f} 秒 CPU 时间；训练损失 {first:.4f} → {last:.4f}"),
    "den_shipped": ("shipped weights (make weights): {rounds} rounds of {per:,} fresh scenes ({total:,} images), "
                    "{minutes:.0f} min on the CPU that trained them; final training loss {loss:.4f}",
                    "随书权重（make weights）：{rounds} 轮，每轮 {per:,} 张新场景（共 {total:,} 张），在训练它的 CPU 上"
                    "用时 {minutes:.0f} 分钟；最终训练损失 {loss:.4f}"),
    "den_live_held": ("{n} held-out scenes, mean squared error per image: {before:.5f} before training (the first "
                      "guess), {after:.5f} after the live run",
                      "{n} 个留出场景上每张图像的均方误差：训练前（即初步猜测）{before:.5f}，现场训练后 {after:.5f}"),
    "den_images_seen": ("training images seen", "已见训练图像数"),
    "den_train_loss": ("training loss (MSE)", "训练损失（MSE）"),
    "den_live_curve": ("live run (this page)", "现场训练（本页）"),
    "den_full_curve": ("full run (shipped weights)", "完整训练（随书权重）"),
    # classical filters
    "den_filter_identity": ("none", "不滤波"),
    "den_filter_gaussian": ("Gaussian σ = {param:g}", "高斯 σ = {param:g}"),
    "den_filter_median": ("median {param}×{param}", "中值 {param}×{param}"),
    "den_filter_masked": ("{name}, known pixels only", "{name}，仅用已知像素"),
    "den_tuned": ("{kind:<16} best on the validation scenes: {name} ({score:.2f} dB; {count} candidates)",
                  "{kind:<16} 在验证场景上最好的滤波器：{name}（{score:.2f} dB；共 {count} 个候选）"),
    "den_col_kind": ("degradation", "退化"),
    "den_col_input": ("input", "输入"),
    "den_col_filter": ("best classical filter", "最佳经典滤波器"),
    "den_col_network": ("network", "网络"),
    "den_col_gain": ("network − filter", "网络 − 滤波器"),
    "den_table_note": ("mean PSNR in dB over {n} test scenes (seed {seed}); ± one standard error of the mean",
                       "{n} 个测试场景（种子 {seed}）上的平均 PSNR（dB）；± 为均值的一个标准误差"),
    # before / after
    "den_row_filter": ("filter", "滤波器"),
    "den_psnr": ("{value:.1f} dB", "{value:.1f} dB"),
    # the conditional mean
    "den_colour_0": ("red", "红色"),
    "den_colour_1": ("green", "绿色"),
    "den_colour_2": ("blue", "蓝色"),
    "den_colour_3": ("yellow", "黄色"),
    "den_colour_4": ("purple", "紫色"),
    "den_reference": ("E[X | luma] estimated from {pixels:,} object pixels of {scenes} scenes (seed 5); in "
                      "{ambiguous:.0%} of the luma bins no colour holds 90 % of the pixels",
                      "用 {scenes} 个场景（种子 5）中物体内部的 {pixels:,} 个像素估计 E[X | 亮度]；"
                      "在 {ambiguous:.0%} 的亮度区间里，没有哪种颜色占到像素的 90%"),
    "den_colour_row": ("{colour:<7} ({count:>3} objects) chroma: true {true:.2f}, network {net:.2f}, "
                       "E[X | luma] {mean:.2f}",
                       "{colour}（{count:>3} 个物体）色度：真实 {true:.2f}，网络 {net:.2f}，E[X | 亮度] {mean:.2f}"),
    "den_blend": ("ambiguous objects ({count} objects): squared distance of the network's colour to the truth "
                  "{to_truth:.4f}, to E[X | luma] {to_mean:.4f}",
                  "有歧义的物体（{count} 个）：网络输出的颜色与真实颜色的平方距离 {to_truth:.4f}，与 E[X | 亮度] 的"
                  "平方距离 {to_mean:.4f}"),
    "den_panel_grey": ("greyscale input", "灰度输入"),
    "den_panel_network": ("network", "网络输出"),
    "den_panel_mean": ("E[X | X̃]", "E[X | X̃]"),
    "den_panel_possible": ("possible: {colour}", "可能：{colour}"),
    "den_panel_truth": ("truth: {colour}", "真实：{colour}"),
    "den_strip_possible": ("real colours", "真实颜色"),
    "den_strip_mean": ("E[X | luma]", "E[X | 亮度]"),
    "den_strip_network": ("network", "网络"),
    "den_luma": ("luma of the grey input", "灰度输入的亮度"),
    "den_hole_report": ("holes of {size}×{size}: pixel variance inside the hole, network {net:.4f}, true images "
                        "{true:.4f} (ratio {ratio:.2f}); mean squared difference between neighbours, network "
                        "{net_grad:.5f}, true images {true_grad:.5f}",
                        "{size}×{size} 缺块：缺块内像素的方差，网络 {net:.4f}，真实图像 {true:.4f}（比值 {ratio:.2f}）；"
                        "相邻像素差的均方，网络 {net_grad:.5f}，真实图像 {true_grad:.5f}"),
    # the explorer
    "den_slider_kind": ("degradation", "退化"),
    "den_slider_level": ("strength", "强度"),
    "den_explore_title": ("{label}: input {input:.1f} dB, {filter} {filtered:.1f} dB, network {network:.1f} dB",
                          "{label}：输入 {input:.1f} dB，{filter} {filtered:.1f} dB，网络 {network:.1f} dB"),
    # check and exercises
    "den_checked": ("the network beats the best classical filter on every degradation, and predicts the "
                    "conditional mean where the input is ambiguous",
                    "网络在每种退化上都胜过最好的经典滤波器，并在输入有歧义时给出条件均值"),
    "den_mse_db": ("{kind:<16} mean squared error divided by {ratio:.2f}; mean PSNR {gain:+.2f} dB, "
                   "that is a factor {predicted:.2f}",
                   "{kind}：均方误差缩小为 1/{ratio:.2f}；平均 PSNR 提高 {gain:+.2f} dB，对应因子 {predicted:.2f}"),
    "den_sigma_row": ("noise σ = {sigma:g}: best Gaussian σ = {best:g} ({score:.2f} dB)",
                      "噪声 σ = {sigma:g}：最好的高斯 σ = {best:g}（{score:.2f} dB）"),
    "den_guess": ("{what:<24} mean squared error {mse:.4f}", "{what:<12} 均方误差 {mse:.4f}"),
    "den_guess_mean": ("the conditional mean", "条件均值"),
    "den_guess_one": ("one real colour ({colour})", "某个真实颜色（{colour}）"),
    "den_guess_grey": ("grey", "灰色"),
}
