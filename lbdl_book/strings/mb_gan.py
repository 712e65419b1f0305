"""The missing bits: generative adversarial networks (mb_gan_)."""

# key: (English, 中文)
STRINGS: dict[str, tuple[str, str]] = {
    # the theory on a grid
    "mb_gan_values": ("V(D*, G) = {value:.6f}; −log 4 + 2·JSD = {formula:.6f} (JSD = {jsd:.4f} nats)\n"
                      "D = ½ everywhere: V = {half:.6f}; p_g = p_data: V(D*, G) = {equal:.6f}; −log 4 = {log4:.6f}",
                      "V(D*, G) = {value:.6f}；−log 4 + 2·JSD = {formula:.6f}（JSD = {jsd:.4f} 奈特）\n"
                      "处处 D = ½：V = {half:.6f}；p_g = p_data：V(D*, G) = {equal:.6f}；−log 4 = {log4:.6f}"),
    "mb_gan_learned_d": ("held-out cross-entropy: trained D {learned:.4f}, D* {star:.4f}, always ½ {chance:.4f}; "
                         "mean excess over D* {excess:.4f} ± {se:.4f}",
                         "留出数据上的交叉熵：训练得到的 D 为 {learned:.4f}，D* 为 {star:.4f}，恒为 ½ 时为 {chance:.4f}；"
                         "相对 D* 的平均超出量 {excess:.4f} ± {se:.4f}"),
    "mb_gan_p_data": ("p_data = N(0, 1)", "p_data = N(0, 1)"),
    "mb_gan_p_g": ("p_g = N(1, 1.5²)", "p_g = N(1, 1.5²)"),
    "mb_gan_densities": ("the two densities", "两个密度"),
    "mb_gan_d_star": ("the best discriminator", "最优判别器"),
    "mb_gan_d_learned": ("trained on samples", "在样本上训练"),
    # the ring
    "mb_gan_real_score": ("fresh real data: {covered} modes covered, high-quality fraction {quality:.3f} "
                          "(expected 1 − e^(−k²/2) = {expected:.3f})",
                          "新抽取的真实数据：覆盖 {covered} 个模式，高质量样本比例 {quality:.3f}"
                          "（理论值 1 − e^(−k²/2) = {expected:.3f}）"),
    "mb_gan_ring_title": ("{n} real points", "{n} 个真实点"),
    "mb_gan_players": ("per copy: generator {g:,} parameters, discriminator {d:,}; {copies} copies",
                       "每个副本：生成器 {g:,} 个参数，判别器 {d:,} 个；共 {copies} 个副本"),
    "mb_gan_ring_run": ("{steps} steps in {seconds:.1f} s; at the end, covered modes per run: {covered}; "
                        "high-quality fraction: {quality}\n(runs 1-4: non-saturating loss, 5-8: saturating); median over "
                        "the runs of D's mean output in the last 200 steps: real {real:.2f}, generated {fake:.2f}",
                        "{steps} 步，用时 {seconds:.1f} 秒；结束时各次运行覆盖的模式数：{covered}；"
                        "高质量样本比例：{quality}\n（第 1-4 次：非饱和损失，第 5-8 次：饱和损失）；最后 200 步中 D 的平均输出"
                        "（各次运行的中位数）：真实 {real:.2f}，生成 {fake:.2f}"),
    "mb_gan_snapshot": ("step {step}\n{modes} modes, {quality:.2f}", "第 {step} 步\n{modes} 个模式，{quality:.2f}"),
    "mb_gan_frame": ("step {step}: {modes} modes, quality {quality:.2f}", "第 {step} 步：{modes} 个模式，质量 {quality:.2f}"),
    "mb_gan_step": ("step", "步数"),
    "mb_gan_modes": ("covered modes", "覆盖的模式数"),
    "mb_gan_quality": ("high-quality fraction", "高质量样本比例"),
    "mb_gan_non_saturating": ("non-saturating", "非饱和"),
    "mb_gan_saturating": ("saturating", "饱和"),
    # saturation and collapse
    "mb_gan_stall": ("after the head start, D(G(z)) ≤ {d_start:.4f}; at step 1 the non-saturating gradients are at "
                     "least {ratio:.0f}× the saturating ones\nhighest D(G(z)): non-saturating, first 100 steps: {ns}; "
                     "saturating, first 50 steps: {sat}\nsaturating runs at step 200: {late}",
                     "先行训练之后 D(G(z)) ≤ {d_start:.4f}；第 1 步时非饱和损失的梯度至少是饱和损失的 {ratio:.0f} 倍\n"
                     "D(G(z)) 的最高值：非饱和，前 100 步：{ns}；饱和，前 50 步：{sat}\n饱和损失各次运行在第 200 步：{late}"),
    "mb_gan_grad": ("‖∂ℓ/∂x‖", "‖∂ℓ/∂x‖"),
    "mb_gan_d_fake": ("mean D(G(z))", "D(G(z)) 的均值"),
    "mb_gan_collapse": ("hasty generators: {mean:.2f} modes covered on average over the snapshots, {most} at most; "
                        "median spread {spread:.2f} (real data: {data_spread:.2f})",
                        "急躁的生成器：各快照平均覆盖 {mean:.2f} 个模式，最多 {most} 个；离散程度的中位数 {spread:.2f}"
                        "（真实数据：{data_spread:.2f}）"),
    # digits
    "mb_gan_judge": ("judge: test accuracy {accuracy:.3f}; real test digits: {quality:.3f} classified with "
                     "probability ≥ 0.9, {covered} classes covered",
                     "评判器：测试准确率 {accuracy:.3f}；真实测试数字中有 {quality:.3f} 以 ≥ 0.9 的概率被归类，"
                     "覆盖 {covered} 个类别"),
    "mb_gan_digits": ("live run: {live_steps} steps in {live_seconds:.1f} s, confident fraction {live:.3f}, "
                      "classes covered: {live_covered}\n"
                      "shipped generator: {steps:,} steps ({seconds:.0f} s on the cpu), confident fraction "
                      "{shipped:.3f}, classes covered: {covered} (real digits: {real:.3f})\n"
                      "most frequent class: {most} ({most_n} samples); rarest: {rare} ({rare_n})",
                      "现场训练：{live_steps} 步，用时 {live_seconds:.1f} 秒，高置信比例 {live:.3f}，覆盖 {live_covered} 个类别\n"
                      "随书权重的生成器：{steps:,} 步（在 cpu 上用时 {seconds:.0f} 秒），高置信比例 {shipped:.3f}，"
                      "覆盖 {covered} 个类别（真实数字：{real:.3f}）\n"
                      "最常见的类别：{most}（{most_n} 个样本）；最少见的：{rare}（{rare_n} 个）"),
    "mb_gan_row_real": ("real", "真实"),
    "mb_gan_row_live": ("live", "现场"),
    "mb_gan_row_shipped": ("shipped", "随书"),
    "mb_gan_checked": ("the GAN theory on a grid, the trained D near D*, mode coverage and quality on the ring, the "
                       "saturating stall, mode collapse and the digit samples",
                       "网格上的 GAN 理论、训练所得 D 接近 D*、环上的模式覆盖与样本质量、饱和损失的停滞、模式崩溃以及数字样本"),
    # exercises
    "mb_gan_ex_slopes": ("slope in s: saturating {sat:.4f}, non-saturating {ns:.4f}; ratio {ratio:.1f}",
                         "对 s 的导数：饱和 {sat:.4f}，非饱和 {ns:.4f}；比值 {ratio:.1f}"),
    "mb_gan_ex_disjoint": ("C(G) with p_g at distance 8, 6 and 4: {values}",
                           "p_g 相距 8、6、4 时的 C(G)：{values}"),
    "mb_gan_ex_measure": ("{covered} modes covered, quality {quality:.3f}, largest distance to a centre {spread:.1f}",
                          "覆盖 {covered} 个模式，质量 {quality:.3f}，到中心的最大距离 {spread:.1f}"),
}
