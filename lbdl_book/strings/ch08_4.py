"""§8.4 Model merging (merge_)."""

# key: (English, 中文)
STRINGS: dict[str, tuple[str, str]] = {
    "merge_data": ("base training set: {base} images (all digits); fine-tuning sets: {tasks}; "
                   "validation: {val} images; held-out test: {test} images ({test_tasks})",
                   "基础模型训练集：{base} 张图像（全部数字）；微调集：{tasks}；验证集：{val} 张图像；"
                   "留出测试集：{test} 张图像（{test_tasks}）"),
    "merge_models": ("MLP 64 → 128 → 128 → 10: {params:,} parameters; base + 2 fine-tunes trained for "
                     "{seeds} seeds in {seconds:.1f} s",
                     "MLP 64 → 128 → 128 → 10：{params:,} 个参数；基础模型加 2 个微调模型，"
                     "{seeds} 个随机种子共用时 {seconds:.1f} 秒"),
    "merge_vectors": ("‖θ‖ = {theta:.2f}; ‖τ_0-4‖ = {norm0:.2f}, ‖τ_5-9‖ = {norm1:.2f}; cosine(τ_0-4, τ_5-9) = {cos:.3f}\n"
                      "largest |(θ + τ_0-4) − θ_0-4| = {error:.2e} (rounding bound {bound:.2e})",
                      "‖θ‖ = {theta:.2f}；‖τ_0-4‖ = {norm0:.2f}，‖τ_5-9‖ = {norm1:.2f}；"
                      "τ_0-4 与 τ_5-9 的余弦相似度 = {cos:.3f}\n"
                      "|(θ + τ_0-4) − θ_0-4| 的最大值 = {error:.2e}（舍入误差上界 {bound:.2e}）"),
    "merge_task": ("digits {name}", "数字 {name}"),
    "merge_table_note": ("test accuracy on each task, mean ± std over {seeds} seeds",
                         "各任务的测试准确率，{seeds} 个随机种子的均值 ± 标准差"),
    "merge_m_base": ("base θ", "基础模型 θ"),
    "merge_m_ft0": ("fine-tuned on 0-4, θ_0-4", "在 0-4 上微调，θ_0-4"),
    "merge_m_ft1": ("fine-tuned on 5-9, θ_5-9", "在 5-9 上微调，θ_5-9"),
    "merge_m_sum1": ("θ + τ_0-4 + τ_5-9", "θ + τ_0-4 + τ_5-9"),
    "merge_m_sum": ("θ + λ(τ_0-4 + τ_5-9), λ on validation", "θ + λ(τ_0-4 + τ_5-9)，λ 由验证集选"),
    "merge_m_neg0": ("θ − τ_0-4", "θ − τ_0-4"),
    "merge_m_neg1": ("θ − τ_5-9", "θ − τ_5-9"),
    "merge_m_ties": ("TIES (density 0.2), λ on validation", "TIES（保留 20%），λ 由验证集选"),
    "merge_m_dare": ("DARE (p = 0.9), λ on validation", "DARE（p = 0.9），λ 由验证集选"),
    "merge_m_search": ("per-layer λ, evolution search", "逐层 λ，演化搜索"),
    "merge_lambdas": ("λ chosen on validation, per seed: {lams}", "各随机种子在验证集上选出的 λ：{lams}"),
    "merge_dare_single": ("task {name}: fine-tuned {ft:.3f}; θ + DARE(τ, p = 0.9) {dare:.3f}; "
                          "same drop without the 1/(1 − p) rescaling {plain:.3f}; base {base:.3f}",
                          "任务 {name}：微调模型 {ft:.3f}；θ + DARE(τ, p = 0.9) {dare:.3f}；"
                          "同样丢弃但不乘 1/(1 − p) {plain:.3f}；基础模型 {base:.3f}"),
    "merge_dare_zeros": ("fraction of the entries of τ that DARE set to zero: {zeros:.3f}",
                         "DARE 置零的 τ 元素比例：{zeros:.3f}"),
    "merge_search": ("{dims} coefficients, {evaluations} evaluations per seed; mean validation score: "
                     "uniform λ {val_uniform:.4f} → search {val_search:.4f} (gain {val_gain:+.4f}); "
                     "held-out: {test_uniform:.4f} → {test_search:.4f} (gain {test_gain:+.4f})",
                     "{dims} 个系数，每个随机种子评估 {evaluations} 次；验证集平均得分：统一 λ {val_uniform:.4f} → "
                     "搜索 {val_search:.4f}（提升 {val_gain:+.4f}）；留出测试集：{test_uniform:.4f} → "
                     "{test_search:.4f}（提升 {test_gain:+.4f}）"),
    "merge_search_coefficients": ("seed 0, coefficients per layer (rows: τ_0-4, τ_5-9; columns: the fully connected "
                                  "layers {layers} of the MLP):\n{table}",
                                  "随机种子 0 的逐层系数（行：τ_0-4、τ_5-9；列：MLP 的全连接层 {layers}）：\n{table}"),
    "merge_checked": ("task vectors rebuild the fine-tunes; addition gives both tasks, negation forgets one; "
                      "DARE keeps a fine-tune; TIES, DARE and the search measured against plain addition",
                      "任务向量能还原微调模型；相加得到两项任务，相减遗忘其中一项；DARE 保住了微调模型；"
                      "TIES、DARE 与搜索都已和直接相加作了比较"),
    "merge_diagonal": ("along the diagonal (first seed): mean accuracy {base:.3f} at λ = 0, highest {best:.3f} at "
                       "λ = {peak:.1f}, {end:.3f} at λ = 2",
                       "沿对角线（第一个随机种子）：λ = 0 时平均准确率 {base:.3f}，λ = {peak:.1f} 时最高，为 {best:.3f}，"
                       "λ = 2 时为 {end:.3f}"),
    # figure
    "merge_fig_acc": ("test accuracy on digits {name}", "数字 {name} 上的测试准确率"),
    "merge_fig_mean": ("mean of the two tasks", "两项任务的平均"),
    "merge_fig_x": ("λ_0-4 (coefficient of τ_0-4)", "λ_0-4（τ_0-4 的系数）"),
    "merge_fig_y": ("λ_5-9 (coefficient of τ_5-9)", "λ_5-9（τ_5-9 的系数）"),
    "merge_pt_base": ("base", "基础模型"),
    "merge_fig_class": ("digit class", "数字类别"),
    "merge_fig_class_acc": ("test accuracy", "测试准确率"),
    "merge_fig_class_title": ("λ_0-4 = {a:g}, λ_5-9 = {b:g}: accuracy {acc_a:.3f} on 0-4, {acc_b:.3f} on 5-9",
                              "λ_0-4 = {a:g}，λ_5-9 = {b:g}：0-4 上准确率 {acc_a:.3f}，5-9 上 {acc_b:.3f}"),
    "merge_slider": ("coefficient λ of τ_{name}", "τ_{name} 的系数 λ"),
    "merge_pt_ft": ("fine-tunes", "微调模型"),
    "merge_pt_sum": ("θ + τ_0-4 + τ_5-9", "θ + τ_0-4 + τ_5-9"),
    "merge_pt_best": ("λ on validation", "验证集选出的 λ"),
    "merge_pt_neg": ("negations", "取负"),
    # exercises
    "merge_ex_identities": ("θ + 0 = θ exactly: {zero}; largest |(θ + τ) − τ − θ| = {error:.2e} (bound {bound:.2e})",
                            "θ + 0 与 θ 完全相同：{zero}；|(θ + τ) − τ − θ| 的最大值 = {error:.2e}（上界 {bound:.2e}）"),
    "merge_ex_dare_mean": ("{draws} DARE draws (p = {p}), {n:,} entries changed by fine-tuning: z-scores of the "
                           "average have mean {mean:+.4f} (standard error {se:.4f}), standard deviation {std:.3f}, "
                           "largest |z| {largest:.2f}",
                           "{draws} 次 DARE 抽样（p = {p}），微调改变的元素共 {n:,} 个：平均值的 z 分数均值为 {mean:+.4f}"
                           "（标准误 {se:.4f}），标准差 {std:.3f}，|z| 的最大值 {largest:.2f}"),
    "merge_ex_ties": ("trimmed: {trimmed}\nelected signs: {signs}\nTIES merge: {merged}",
                      "修剪后：{trimmed}\n选出的符号：{signs}\nTIES 合并结果：{merged}"),
}
