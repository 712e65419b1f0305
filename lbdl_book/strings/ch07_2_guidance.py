"""§7.2 Conditioning and guidance (guid_)."""

# key: (English, 中文)
STRINGS: dict[str, tuple[str, str]] = {
    "guid_separator": (", ", "、"),
    # classifier-free guidance on digits
    "guid_digit_model": ("shipped digit model: {parameters:,} parameters, classes 0-9 and the null class {null}, "
                         "labels dropped with probability {p}, T = {steps} steps",
                         "随包数字模型：{parameters:,} 个参数，类别 0-9 与空类别 {null}，标签以概率 {p} 丢弃，"
                         "T = {steps} 步"),
    "guid_fig_scale_title": ("scale s = {s:g}", "引导尺度 s = {s:g}"),
    "guid_cfg_header": ("| guidance scale s | requested digit | judge's probability of it | pixel variance within a class |",
                        "| 引导尺度 s | 判为所要求的数字 | 评判器给它的概率 | 类内像素方差 |"),
    "guid_real_digits": ("real test digits", "真实测试数字"),
    "guid_fig_match": ("judged the requested digit", "判为所要求的数字"),
    "guid_fig_confidence": ("judge's probability of it", "评判器给它的概率"),
    "guid_fig_scale": ("guidance scale s", "引导尺度 s"),
    "guid_fig_samples": ("samples", "生成样本"),
    "guid_fig_real": ("real digits", "真实数字"),
    "guid_fig_variance": ("pixel variance within a class", "类内像素方差"),
    # CLIP guidance on scenes
    "guid_scene_model": ("shipped scene models: a U-Net of {denoiser:,} parameters trained on {images:,} scenes for "
                         "{steps} steps, and a judge of {judge:,} parameters ({seconds:.0f} s of CPU for both)",
                         "随包场景模型：U-Net 共 {denoiser:,} 个参数，在 {images:,} 个场景上训练 {steps} 步；"
                         "评判器共 {judge:,} 个参数（两者合计 CPU 用时 {seconds:.0f} 秒）"),
    "guid_judge_real": ("the judge on {n} real held-out scenes (seed {seed}): colour right {colour:.1%}, "
                        "shape right {shape:.1%}",
                        "评判器在 {n} 个留出的真实场景（种子 {seed}）上：颜色正确率 {colour:.1%}，形状正确率 {shape:.1%}"),
    "guid_prompts": ("prompts: {prompts}; {n} samples each", "提示：{prompts}；每个 {n} 个样本"),
    "guid_clip_header": ("| strength λ | colour matches | shape matches | both match |",
                         "| 引导强度 λ | 颜色相符 | 形状相符 | 两者都相符 |"),
    "guid_fig_colour": ("colour", "颜色"),
    "guid_fig_shape": ("shape", "形状"),
    "guid_fig_both": ("colour and shape", "颜色和形状"),
    "guid_fig_strength": ("guidance strength λ", "引导强度 λ"),
    "guid_fig_rate": ("share of samples that match the prompt", "与提示相符的样本比例"),
    # check and exercises
    "guid_checked": ("guidance raises the match rate, for classes and for CLIP prompts",
                     "无论按类别还是按 CLIP 提示，引导都提高了相符率"),
    "guid_ex_negative": ("requested digit at s = -1: {negative:.1%} (without guidance: {none:.1%})",
                         "s = -1 时判为所要求数字的比例：{negative:.1%}（不加引导：{none:.1%}）"),
    "guid_ex_languages": ("cosine similarity: English and Chinese prompt {same:.3f}; red and blue disc {other:.3f}",
                          "余弦相似度：中英文提示之间 {same:.3f}；红色与蓝色圆盘之间 {other:.3f}"),
    "guid_ex_referee": ("strongest guidance, sample matches its prompt: according to CLIP {clip:.0%}, according to "
                        "the judge {judge:.0%}",
                        "最强引导下样本与提示相符的比例：按 CLIP 为 {clip:.0%}，按评判器为 {judge:.0%}"),
}
