"""§6.4 Semantic segmentation (seg_)."""

# key: (English, 中文)
STRINGS: dict[str, tuple[str, str]] = {
    # the models
    "seg_plain": ("plain down-up", "无跳跃的下采样-上采样网络"),
    "seg_unet": ("U-Net (skips)", "U-Net（跳跃连接）"),
    "seg_psp": ("PSPNet", "PSPNet"),
    # data
    "seg_data": ("{live} scenes for the live run; {held} held-out scenes (seed {seed}; the shipped weights were "
                 "trained on seed {train_seed}); share of the held-out pixels per class: {shares}",
                 "现场训练用 {live} 个场景；留出场景 {held} 个（种子 {seed}；随包权重用种子 {train_seed} 的场景训练）；"
                 "留出像素中各类别的占比：{shares}"),
    "seg_table_header": ("| model | parameters | coarsest map | multiply-adds per image | output for 2 images |",
                         "| 模型 | 参数 | 最粗的特征图 | 每张图像的乘加次数 | 2 张图像的输出 |"),
    # training
    "seg_live": ("live run: {scenes} scenes, {epochs} epochs per model, {seconds:.1f} s in all on {device}; "
                 "training loss of the first → last epoch: {losses}",
                 "现场训练：{scenes} 个场景，每个模型 {epochs} 轮，在 {device} 上共用时 {seconds:.1f} 秒；"
                 "训练损失（第一轮 → 最后一轮）：{losses}"),
    "seg_shipped": ("shipped weights: each model trained on {scenes:,} scenes (seed {seed}) for {epochs} epochs "
                    "with batches of {batch}, {seconds:.0f} s in all on {device}",
                    "随包提供的权重：每个模型在 {scenes:,} 个场景（种子 {seed}）上训练 {epochs} 轮，批量大小 {batch}，"
                    "在 {device} 上共用时 {seconds:.0f} 秒"),
    # metrics
    "seg_scores_header": ("| model | pixel accuracy | mIoU | band accuracy (k = 1) | boundary F (k = 1) | {classes} |",
                          "| 模型 | 像素准确率 | mIoU | 边界带准确率（k = 1） | 边界 F 值（k = 1） | {classes} |"),
    "seg_far": ("{share:.1%} of the held-out pixels are more than {distance} pixels from any boundary",
                "留出像素中有 {share:.1%} 离最近的边界超过 {distance} 个像素"),
    "seg_boot": ("{model}: mIoU {miou:.3f} ± {se:.3f} (bootstrap standard error over the scenes)",
                 "{model}：mIoU {miou:.3f} ± {se:.3f}（对场景做自助重采样得到的标准误）"),
    "seg_boot_diff": ("{a} − {b}: mIoU {diff:+.3f} ± {se:.3f} (paired on the same resampled scenes)",
                      "{a} 减 {b}：mIoU {diff:+.3f} ± {se:.3f}（在相同的重采样场景上配对计算）"),
    "seg_panel_class": ("the class", "类别"),
    "seg_panel_object": ("object or background", "物体还是背景"),
    "seg_distance": ("distance to the nearest true boundary (px)", "到最近真实边界的距离（像素）"),
    "seg_accuracy": ("pixel accuracy", "像素准确率"),
    "seg_share_of_pixels": ("share of the pixels (bars)", "像素占比（柱）"),
    "seg_gain": ("U-Net − {other}, accuracy in the band k = 1: {mean:+.3f} ± {se:.3f} per scene (n = {n})",
                 "U-Net 减 {other}，k = 1 边界带内的准确率：每个场景 {mean:+.3f} ± {se:.3f}（n = {n}）"),
    # figures
    "seg_image": ("image", "图像"),
    "seg_truth": ("true classes", "真实类别"),
    "seg_wrong": ("wrong pixel", "错误像素"),
    "seg_scene_title": ("held-out scene {scene}: {caption}", "留出场景 {scene}：{caption}"),
    "seg_slider_scene": ("held-out scene", "留出场景"),
    "seg_checked": ("per-pixel logits; the live losses fall; the shipped scores are reproduced; the U-Net and the "
                    "PSPNet far above the plain network in mIoU; the skips win next to the boundaries, the pyramid "
                    "away from them",
                    "逐像素 logits；现场训练的损失下降；随包权重的得分得以复现；U-Net 和 PSPNet 的 mIoU 远高于"
                    "无跳跃的网络；跳跃连接在边界附近占优，金字塔池化在远离边界处占优"),
    # exercises
    "seg_lazy": ("always background: pixel accuracy {accuracy:.3f} (background share {share:.3f}), mIoU {miou:.3f}",
                 "全部预测为背景：像素准确率 {accuracy:.3f}（背景占比 {share:.3f}），mIoU {miou:.3f}"),
    "seg_field": ("{model}: {pixels} input pixels with a non-zero gradient; {far:.1%} of the gradient from more "
                  "than 16 pixels away",
                  "{model}：{pixels} 个输入像素的梯度不为零；{far:.1%} 的梯度来自 16 个像素以外"),
}
