"""The missing bits: self-supervised training (mb_ssl_)."""

# key: (English, 中文)
STRINGS: dict[str, tuple[str, str]] = {
    # figures
    "mb_ssl_original": ("digit", "原图"),
    "mb_ssl_view": ("view {k}", "视图 {k}"),
    "mb_ssl_probe_axis": ("test accuracy on 500 digits, {k} labels per class",
                          "500 个测试数字上的准确率（每类 {k} 个标签）"),
    "mb_ssl_probability": ("probability", "概率"),
    "mb_ssl_position": ("hidden position", "遮住的位置"),
    # Barlow Twins
    "mb_ssl_twins_trained": ("encoder: {params:,} parameters ({total:,} with the projector); {steps} steps in "
                             "{seconds:.1f} s of CPU time; Barlow Twins loss {first:.1f} → {last:.1f}",
                             "编码器：{params:,} 个参数（加上投影头共 {total:,} 个）；{steps} 步，CPU 时间 "
                             "{seconds:.1f} 秒；Barlow Twins 损失 {first:.1f} → {last:.1f}"),
    "mb_ssl_correlation": ("{when}, {n} test digits: mean diagonal entry of C {diag:.3f}, mean |off-diagonal "
                           "entry| {off:.3f}",
                           "{when}，{n} 个测试数字：C 的对角元平均为 {diag:.3f}，非对角元绝对值的平均为 {off:.3f}"),
    "mb_ssl_before": ("before training", "训练前"),
    "mb_ssl_after": ("after training", "训练后"),
    "mb_ssl_pixels": ("linear probe on the pixels", "像素上的线性探测"),
    "mb_ssl_random": ("linear probe on a random encoder", "随机编码器上的线性探测"),
    "mb_ssl_supervised": ("supervised network, same 100 labels", "监督训练的网络（同样 100 个标签）"),
    "mb_ssl_twins": ("linear probe on the Barlow Twins encoder", "Barlow Twins 编码器上的线性探测"),
    "mb_ssl_probe_row": ("  {mean:5.1f} ± {std:3.1f} %   {name}", "  {mean:5.1f}% ± {std:3.1f}%   {name}"),
    "mb_ssl_gain": ("Barlow Twins minus random encoder, same labelled subsets: {gain:+.1f} points "
                    "(standard error {se:.1f})",
                    "Barlow Twins 减去随机编码器（同一批标注子集）：{gain:+.1f} 个百分点（标准误 {se:.1f}）"),
    # BERT
    "mb_ssl_masked": ("original: {original!r}\nmasked:   {masked!r}   ({chosen} positions chosen)",
                      "原文：  {original!r}\n遮盖后：{masked!r}（选中 {chosen} 个位置）"),
    "mb_ssl_live": ("live run: {params:,} parameters per network, {steps} steps each, {seconds:.1f} s of CPU time "
                    "for both; training loss: bidirectional {bi:.2f}, causal {causal:.2f} (uniform guess: "
                    "{start:.2f})",
                    "现场训练：每个网络 {params:,} 个参数，各训练 {steps} 步，两个共用 CPU 时间 {seconds:.1f} 秒；"
                    "训练损失：双向 {bi:.2f}，因果 {causal:.2f}（均匀猜测：{start:.2f}）"),
    "mb_ssl_shipped": ("shipped weights: {steps:,} steps per network ({copies} masked copies of the text), "
                       "{seconds:.0f} s of CPU time for both",
                       "随书权重：每个网络 {steps:,} 步（文本的 {copies} 份遮盖副本），两个共用 CPU 时间 "
                       "{seconds:.0f} 秒"),
    "mb_ssl_bidirectional": ("bidirectional (masked tokens)", "双向（掩码词元）"),
    "mb_ssl_causal": ("causal (next token)", "因果（下一个词元）"),
    "mb_ssl_unigram": ("unigram guess (always a space)", "一元频率猜测（总猜空格）"),
    "mb_ssl_fill_row": ("  {all:5.1f} %   {first:5.1f} %   {other:5.1f} %   {name}",
                        "  {all:5.1f}%   {first:5.1f}%   {other:5.1f}%   {name}"),
    "mb_ssl_fill_count": ("accuracy at position 16: all windows ({n}), first letter of a word ({first}), others",
                          "位置 16 的准确率：全部窗口（{n} 个）、词首字母（{first} 个）、其余位置"),
    "mb_ssl_base": ("BERT-base on the meta device: {count:,} parameters (by hand {by_hand:,}, formula {formula:,}); "
                    "device of the weights: {device}",
                    "meta 设备上的 BERT-base：{count:,} 个参数（手算 {by_hand:,}，公式 {formula:,}）；"
                    "权重所在设备：{device}"),
    "mb_ssl_checked": ("Barlow Twins beats a random encoder with 10 labels per class; masked and next-token "
                       "models beat the unigram guess, and the right side helps at word starts; BERT-base has "
                       "109,482,240 parameters",
                       "每类 10 个标签时 Barlow Twins 胜过随机编码器；掩码模型和下一个词元模型都远胜一元频率猜测，"
                       "右侧上下文在词首帮助最大；BERT-base 有 109,482,240 个参数"),
    "mb_ssl_independent": ("independent columns: loss {loss:.3f}, C[0, 3] = {c03:.3f}",
                           "各列独立：损失 {loss:.3f}，C[0, 3] = {c03:.3f}"),
    "mb_ssl_redundant": ("fourth column = first column: loss {loss:.3f}, C[0, 3] = {c03:.3f}",
                         "第四列 = 第一列：损失 {loss:.3f}，C[0, 3] = {c03:.3f}"),
    "mb_ssl_large": ("BERT-large: {count:,} parameters (by hand {by_hand:,})",
                     "BERT-large：{count:,} 个参数（手算 {by_hand:,}）"),
    "mb_ssl_rate": ("changed inputs: expected {expected:.2f} %, observed {observed:.2f} % of {n:,} tokens",
                    "被改动的输入：期望 {expected:.2f}%，实测 {observed:.2f}%（共 {n:,} 个词元）"),
}
