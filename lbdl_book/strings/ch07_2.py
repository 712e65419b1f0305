"""§7.2 Image generation: denoising diffusion (diff_)."""

# key: (English, 中文)
STRINGS: dict[str, tuple[str, str]] = {
    # the forward process
    "diff_alpha_bars": ("ᾱ_t, the share of the signal's variance left at step t: {table}",
                        "ᾱ_t，即第 t 步时信号方差剩下的比例：{table}"),
    "diff_closed_form": ("{n:,} draws of x_10 from one digit: variance of x_10 − √ᾱ_10·x_0 = {var:.5f} "
                         "(closed form 1 − ᾱ_10 = {expected:.5f}), mean {mean:+.5f}",
                         "从同一个数字抽取 {n:,} 个 x_10：x_10 − √ᾱ_10·x_0 的方差为 {var:.5f}"
                         "（闭式解 1 − ᾱ_10 = {expected:.5f}），均值 {mean:+.5f}"),
    # the plane
    "diff_fig_data": ("data ({n:,} points)", "数据（{n:,} 个点）"),
    "diff_fig_noise": ("white noise x_T ({n:,})", "白噪声 x_T（{n:,} 个）"),
    "diff_fig_samples": ("generated x_0 ({n:,})", "生成的 x_0（{n:,} 个）"),
    "diff_fig_paths": ("{k} trajectories, x_T → x_0", "{k} 条轨迹，x_T → x_0"),
    "diff_mlp_run": ("denoiser: {params:,} parameters; {steps:,} steps in {seconds:.1f} s; loss (mean of 50 steps) "
                     "{first:.3f} at the start, {last:.3f} at the end",
                     "去噪器：{params:,} 个参数；{steps:,} 步，用时 {seconds:.1f} 秒；损失（50 步的均值）"
                     "开始时 {first:.3f}，结束时 {last:.3f}"),
    "diff_distance_header": ("distance to {n:,} fresh data points | MMD² (h = {h}) | sliced W₂",
                             "与 {n:,} 个新数据点的距离 | MMD²（h = {h}） | 切片 W₂"),
    "diff_distance_row": ("{name:<34} | {mmd:>+9.5f} | {sw:.4f}", "{name:<22} | {mmd:>+9.5f} | {sw:.4f}"),
    "diff_distance_floor": ("{name:<34} | {mmd:>+9.5f} ± {mmd_sd:.5f} | {sw:.4f} ± {sw_sd:.4f}",
                            "{name:<22} | {mmd:>+9.5f} ± {mmd_sd:.5f} | {sw:.4f} ± {sw_sd:.4f}"),
    "diff_row_noise": ("white noise x_T", "白噪声 x_T"),
    "diff_row_samples": ("diffusion samples x_0", "扩散模型的样本 x_0"),
    "diff_row_floor": ("other data ({k} draws: mean ± sd)", "其他数据（{k} 次抽取：均值 ± 标准差）"),
    # digits
    "diff_unet": ("U-Net: {params:,} parameters ({emb:,} of them in the time and class embeddings)",
                  "U-Net：{params:,} 个参数（其中 {emb:,} 个属于时间和类别嵌入）"),
    "diff_live": ("live run: {steps} steps of {batch} digits in {seconds:.1f} s; loss {first:.3f} over the first 10 "
                  "steps, {last:.3f} over the last 10",
                  "现场训练：{steps} 步，每步 {batch} 个数字，用时 {seconds:.1f} 秒；前 10 步的平均损失 {first:.3f}，"
                  "最后 10 步 {last:.3f}"),
    "diff_shipped": ("shipped model: {steps:,} steps of {batch} digits, label dropout {p:.0%}; {seconds:.0f} s of "
                     "wall-clock time on the CPU it was trained on (shared with other jobs); final loss {loss:.4f}",
                     "随书权重：{steps:,} 步，每步 {batch} 个数字，标签丢弃率 {p:.0%}；在训练它的 CPU 上"
                     "（与其他任务共用）耗时 {seconds:.0f} 秒（墙钟时间）；最终损失 {loss:.4f}"),
    "diff_sampled": ("{n} unconditional samples (null class), {steps} denoising steps each, in {seconds:.1f} s",
                     "{n} 个无条件样本（空类别），每个经过 {steps} 步去噪，用时 {seconds:.1f} 秒"),
    "diff_fig_step": ("t = {t}", "t = {t}"),
    "diff_fig_row": ("sample {k}", "样本 {k}"),
    "diff_frame": ("x_t at t = {t} ({n} samples)", "t = {t} 时的 x_t（{n} 个样本）"),
    "diff_slider": ("step t", "步数 t"),
    # quality
    "diff_judge": ("judge: accuracy {accuracy:.1%} on the real test digits", "评判器：在真实测试数字上的准确率 {accuracy:.1%}"),
    "diff_score_header": ("source | samples | confident (p ≥ 0.9) | classes covered | most / least frequent class "
                          "(share of the confident ones)",
                          "来源 | 样本数 | 置信（p ≥ 0.9） | 覆盖类别数 | 最多 / 最少的类别（占置信样本的比例）"),
    "diff_score_row": ("{name} | {n:,} | {quality:.1%} | {covered} | {most} ({most_share:.1%}) / {least} "
                       "({least_share:.1%})",
                       "{name} | {n:,} | {quality:.1%} | {covered} | {most}（{most_share:.1%}）/ {least}"
                       "（{least_share:.1%}）"),
    "diff_src_real": ("real test digits", "真实测试数字"),
    "diff_src_diffusion": ("diffusion (shipped, null class)", "扩散模型（随书权重，空类别）"),
    "diff_src_live": ("diffusion (live run)", "扩散模型（现场训练）"),
    "diff_src_gan": ("GAN (shipped)", "GAN（随书权重）"),
    "diff_checked": ("the closed form, the 2-D distances, the live loss, the judged digits and the comparison "
                     "with the GAN",
                     "闭式解、二维距离、现场训练的损失、评判器对数字的打分以及与 GAN 的比较"),
    # exercises
    "diff_ex_snr": ("step where ᾱ_t first drops below ½: linear schedule t = {linear}, cosine t = {cosine} "
                    "(of {steps})",
                    "ᾱ_t 首次低于 ½ 的步数：线性调度 t = {linear}，余弦调度 t = {cosine}（共 {steps} 步）"),
    "diff_ex_mean_path": ("spread of the samples (mean distance to the nearest data point): with noise {noisy:.3f}, "
                          "means only {mean:.3f}; data {data:.3f}; std of the y coordinate: {noisy_sd:.3f}, "
                          "{mean_sd:.3f}, {data_sd:.3f}",
                          "样本的分散程度（到最近数据点的平均距离）：带噪声 {noisy:.3f}，只取均值 {mean:.3f}；数据 {data:.3f}；"
                          "y 坐标的标准差：{noisy_sd:.3f}、{mean_sd:.3f}、{data_sd:.3f}"),
    "diff_ex_copies": ("distance of each sample to its nearest training digit (median): samples {samples:.3f}, "
                       "test digits {test:.3f}",
                       "每个样本到最近训练数字的距离（中位数）：样本 {samples:.3f}，测试数字 {test:.3f}"),
}
