"""§6.6 Text-image representations (clip_)."""

# key: (English, 中文)
STRINGS: dict[str, tuple[str, str]] = {
    # the loss
    "clip_scale_header": ("| scale s | loss of 8 matching pairs | loss of 8 unrelated pairs |",
                          "| 缩放系数 s | 8 个匹配对的损失 | 8 个无关对的损失 |"),
    "clip_log_n": ("log N = log 8 = {value:.3f}: the loss of logits that do not depend on the pairs",
                   "log N = log 8 = {value:.3f}：与配对无关的 logits 的损失"),
    # data
    "clip_vocab": ("{words} words in the vocabulary (both languages, <pad> and <eos> included); the longest "
                   "caption of these takes {longest} tokens with its <eos>",
                   "词表共 {words} 个词（两种语言，含 <pad> 和 <eos>）；这几条描述中最长的一条加上 <eos> 占 {longest} 个词元"),
    "clip_separator": (", ", "、"),
    "clip_held_out": ("colour-shape pairs that no training scene shows: {pairs}",
                      "训练场景中从不出现的颜色-形状组合：{pairs}"),
    "clip_params": ("parameters: image encoder (CNN and its projection) {image:,}, text encoder (GPT) {text:,}, "
                    "text projection {projection:,}, scale 1; in all {total:,}",
                    "参数：图像编码器（卷积网络及其投影）{image:,}，文本编码器（GPT）{text:,}，文本投影 {projection:,}，"
                    "缩放系数 1；合计 {total:,}"),
    # training
    "clip_live": ("live run: {pairs} pairs, {epochs} epochs, batches of {batch}, {seconds:.1f} s on {device}; "
                  "loss of the first → last epoch: {first:.3f} → {last:.3f} (log {batch} = {log_n:.3f})",
                  "现场训练：{pairs} 个图文对，{epochs} 轮，批量大小 {batch}，在 {device} 上用时 {seconds:.1f} 秒；"
                  "损失（第一轮 → 最后一轮）：{first:.3f} → {last:.3f}（log {batch} = {log_n:.3f}）"),
    "clip_shipped": ("shipped weights: {pairs:,} pairs (from {scenes:,} scenes of seed {seed}, captions in English "
                     "and Chinese in turn), {epochs} epochs, batches of {batch}, {seconds:.0f} s on {device}; "
                     "learned scale s = {scale:.1f} (temperature {temperature:.3f})",
                     "随包权重：{pairs:,} 个图文对（来自种子 {seed} 的 {scenes:,} 个场景，描述轮流使用英文和中文），"
                     "{epochs} 轮，批量大小 {batch}，在 {device} 上用时 {seconds:.0f} 秒；学到的缩放系数 s = {scale:.1f}"
                     "（温度 {temperature:.3f}）"),
    "clip_epoch": ("epoch", "轮次"),
    "clip_loss": ("contrastive loss", "对比损失"),
    "clip_live_run": ("live run (this page)", "现场训练（本页）"),
    "clip_full_run": ("full run (shipped weights)", "完整训练（随包权重）"),
    "clip_matrix_title": ("$l_{{m,n}}$: image $i_m$ (rows) against caption $t_n$ (columns)",
                          "$l_{{m,n}}$：图像 $i_m$（行）与描述 $t_n$（列）"),
    # zero-shot and probe
    "clip_zero_shot": ("zero-shot, 20 colour-shape classes: {unseen:.1%} on {n_unseen} objects of held-out pairs, "
                       "{seen:.1%} on {n_seen} objects of pairs seen in training (chance 5%)",
                       "零样本，20 个颜色-形状类别：留出组合的 {n_unseen} 个物体上 {unseen:.1%}，训练中见过的组合的 "
                       "{n_seen} 个物体上 {seen:.1%}（随机猜测 5%）"),
    "clip_colour": ("colour (5 classes)", "颜色（5 类）"),
    "clip_size": ("size (2 classes)", "大小（2 类）"),
    "clip_shape": ("shape (4 classes)", "形状（4 类）"),
    "clip_probe_attributes": ("linear probes on the held-out pairs, one attribute each: {values}",
                              "每次只针对一个属性的线性探测，在留出组合上：{values}"),
    "clip_probe": ("linear probe (trained on {n} labelled objects of seed {seed}, all 20 pairs): {unseen:.1%} on "
                   "the held-out pairs, {seen:.1%} on the seen ones",
                   "线性探测（在种子 {seed} 的 {n} 个带标签物体上训练，20 个组合都有）：留出组合上 {unseen:.1%}，"
                   "见过的组合上 {seen:.1%}"),
    "clip_probability": ("probability (%)", "概率（%）"),
    "clip_panel_title": ("correct label: {label}\ncorrect rank: {rank}/{classes}\ncorrect probability: {p:.2%}",
                         "正确标签：{label}\n正确排名：{rank}/{classes}\n正确概率：{p:.2%}"),
    # retrieval
    "clip_recall_header": ("| direction | recall@1 | recall@5 | recall@10 |", "| 方向 | recall@1 | recall@5 | recall@10 |"),
    "clip_image_to_text": ("image → caption", "图像 → 描述"),
    "clip_text_to_image": ("caption → image", "描述 → 图像"),
    "clip_distinct": ("{n} held-out scenes, {distinct} distinct captions; a retrieved caption identical to the "
                      "right one counts as right", "{n} 个留出场景，{distinct} 条不同的描述；检索到与正确描述相同的文字也算正确"),
    # explore
    "clip_slider_image": ("object", "物体"),
    "clip_explore_title": ("object {index}: {label} ({kind})", "物体 {index}：{label}（{kind}）"),
    "clip_kind_unseen": ("pair never seen in training", "训练中从未见过的组合"),
    "clip_kind_seen": ("pair seen in training", "训练中见过的组合"),
    "clip_checked": ("the loss behaves as its formula says; the live loss falls; zero-shot on held-out pairs is right "
                     "above 80 % of the time, nearly as often as on seen pairs and as a linear probe; colours, sizes "
                     "and shapes are far above chance, the shape classes below the 20 classes; the probe reads the "
                     "shapes off the embeddings; recall@10 is above 80 % in both directions",
                     "损失的表现与公式一致；现场训练的损失下降；留出组合上的零样本准确率超过 80%，几乎与见过的组合和线性探测"
                     "一样高；颜色、大小和形状的准确率都远高于随机水平，形状类别低于 20 个类别；线性探测能从嵌入中读出形状；"
                     "两个方向的 recall@10 都超过 80%"),
    # exercises
    "clip_ex_gallery": ("image → caption recall@1: {small:.1%} among the first 100 scenes, {large:.1%} among all 500",
                        "图像 → 描述的 recall@1：前 100 个场景中 {small:.1%}，全部 500 个场景中 {large:.1%}"),
    "clip_ex_scale": ("scale {scale:g}: test loss {loss:.3f}", "缩放系数 {scale:g}：测试损失 {loss:.3f}"),
}
