"""§8.3 Adapters (adapt_)."""

# key: (English, 中文)
STRINGS: dict[str, tuple[str, str]] = {
    "adapt_layer": ("{name}: W {c}×{d} frozen, A {r}×{d}, B {c}×{r}: {trainable:,} trainable numbers "
                    "instead of {full:,}; outputs equal to the base layer's: {same}",
                    "{name}：W 为 {c}×{d}，冻结；A 为 {r}×{d}，B 为 {c}×{r}：可训练的数共 {trainable:,} 个，"
                    "而不是 {full:,} 个；输出与原层完全相同：{same}"),
    "adapt_merge": ("after training: largest |merged − unmerged| = {gap:.2e}, rounding bound {bound:.2e}",
                    "训练之后：|合并 − 未合并| 的最大值为 {gap:.2e}，舍入误差上界为 {bound:.2e}"),
    "adapt_table_head": ("{trainable:>10} {fraction:>8} {adam:>12}   {method}",
                         "{trainable:>10} {fraction:>8} {adam:>12}   {method}"),
    "adapt_table_title": (" trainable fraction   Adam bytes   method",
                          "可训练参数     占比    Adam 字节   方法"),
    "adapt_full": ("full fine-tuning", "全量微调"),
    "adapt_lora": ("LoRA, R = {rank}", "LoRA，R = {rank}"),
    "adapt_adapter": ("adapters, K = {k}", "适配器，K = {k}"),
    "adapt_qlora": ("QLoRA, R = {rank}", "QLoRA，R = {rank}"),
    "adapt_base": ("base model", "原模型"),
    "adapt_sample": ("{lines} lines of the log, e.g.:\n{sample}", "日志共 {lines} 行，例如：\n{sample}"),
    "adapt_windows": ("{train} training windows ({steps} steps of {batch} are used), {new} validation windows "
                      "of the log, {old} of the corpus",
                      "训练窗口 {train} 个（用到 {steps} 步、每步 {batch} 个），日志验证窗口 {new} 个，"
                      "语料验证窗口 {old} 个"),
    "adapt_base_loss": ("base model: {new:.3f} nats/char on the log, {old:.3f} on the corpus",
                        "原模型：日志上每字符 {new:.3f} 奈特，语料上 {old:.3f}"),
    "adapt_big_step": ("one layer 1,024 × 1,024, 512 positions: full step {ffull:,} FLOPs, {full:.1f} ms; "
                       "LoRA (R = 8) {flora:,} FLOPs, {lora:.1f} ms; time ratio {ratio:.2f}; gradients only for {grads}",
                       "单层 1,024 × 1,024、512 个位置：全量一步 {ffull:,} 次浮点运算，{full:.1f} 毫秒；"
                       "LoRA（R = 8）{flora:,} 次浮点运算，{lora:.1f} 毫秒；时间比 {ratio:.2f}；只有 {grads} 得到梯度"),
    "adapt_results_head": ("{new:>9} {old:>9} {step:>9}   {method}", "{new:>9} {old:>9} {step:>9}   {method}"),
    "adapt_results_title": (" new text  old text   ms/step   method",
                            "   新文本    旧文本   毫秒/步   方法"),
    "adapt_train_time": ("{runs} runs of {steps} steps: {seconds:.1f} s of CPU",
                         "{runs} 次训练、每次 {steps} 步：CPU 时间 {seconds:.1f} 秒"),
    "adapt_speed": ("time per step relative to full fine-tuning (medians, interleaved): {ratios}",
                    "每步用时相对于全量微调的比值（交错计时的中位数）：{ratios}"),
    "adapt_store": ("one task's LoRA factors (R = {rank}): {lora:,} bytes; the base model: {base:,} bytes; "
                    "merged into a plain GPT of {params:,} parameters, logits identical: {same}",
                    "一个任务的 LoRA 因子（R = {rank}）：{lora:,} 字节；原模型：{base:,} 字节；"
                    "合并成参数量为 {params:,} 的普通 GPT 后，logits 完全相同：{same}"),
    "adapt_memory": ("weights {weights:>9,} B + gradients and Adam {extra:>9,} B = {total:>9,} B; "
                     "new-text loss {loss:.3f}   {method}",
                     "权重 {weights:>9,} B + 梯度与 Adam 状态 {extra:>9,} B = {total:>9,} B；"
                     "新文本损失 {loss:.3f}   {method}"),
    "adapt_axis_old": ("loss on the old text (nats/char): forgetting →", "旧文本上的损失（奈特/字符）：遗忘 →"),
    "adapt_axis_new": ("loss on the new text (nats/char)", "新文本上的损失（奈特/字符）"),
    "adapt_title": ("after {steps} steps on the harbour log", "在港口日志上训练 {steps} 步之后"),
    "adapt_params_label": ("{params:,} trainable", "可训练 {params:,}"),
    "adapt_checked": ("zero start exact, merging within rounding, counts and Adam bytes exact, losses and speed "
                      "as stated, QLoRA smaller",
                      "零起点严格成立、合并误差在舍入范围内、参数量与 Adam 字节数精确、损失与速度如文中所述、"
                      "QLoRA 内存更小"),
    "adapt_ex_rank": ("rank {rank}: {trainable:,} trainable parameters ({fraction:.2%}), Adam state {adam:,} bytes",
                      "秩 {rank}：可训练参数 {trainable:,} 个（{fraction:.2%}），Adam 状态 {adam:,} 字节"),
    "adapt_ex_ffn": ("LoRA R = 4 on attention only: {att:.3f}; on attention and feed-forward: {both:.3f} nats/char "
                     "({p_att:,} and {p_both:,} trainable)",
                     "LoRA R = 4，只加在注意力上：{att:.3f}；加在注意力和前馈层上：{both:.3f} 奈特/字符"
                     "（可训练参数分别为 {p_att:,} 和 {p_both:,}）"),
}
