"""§6.2 Image classification (cls_)."""

# key: (English, 中文)
STRINGS: dict[str, tuple[str, str]] = {
    # data and models
    "cls_data": ("{train} training crops (seed {train_seed}), {test:,} held-out crops (seed {test_seed}); "
                 "crops per class in the training set: {counts}",
                 "训练裁剪图 {train} 张（种子 {train_seed}），留出裁剪图 {test:,} 张（种子 {test_seed}）；"
                 "训练集中每类的数量：{counts}"),
    "cls_models_header": ("| model | layers | parameters |", "| 模型 | 结构 | 参数量 |"),
    "cls_resnet_row": ("| ResNet | stem + 3 stages of one bottleneck block, 16 → 8 → 4 → 2 pixels | {params:,} |",
                       "| ResNet | 起始层（stem）+ 3 个阶段，各一个瓶颈块，16 → 8 → 4 → 2 像素 | {params:,} |"),
    "cls_vit_row": ("| ViT | 16 patches of 4 × 4 pixels, D = 32, 2 layers, 4 heads | {params:,} |",
                    "| ViT | 16 个 4 × 4 像素的图块，D = 32，2 层，4 个头 | {params:,} |"),
    # augmentation figure and demo
    "cls_row_original": ("original", "原图"),
    "cls_row_crop": ("crop\n(shift ≤ 2 px)", "裁剪\n（平移 ≤ 2 像素）"),
    "cls_row_scale": ("scale\n(× 0.8 … 1.25)", "缩放\n（× 0.8 … 1.25）"),
    "cls_row_mirror": ("mirror", "镜像"),
    "cls_row_colour": ("colour", "颜色"),
    "cls_row_all": ("all four", "四种组合"),
    "cls_slider_zoom": ("zoom factor", "缩放倍数"),
    "cls_slider_hue": ("hue rotation (turns)", "色相旋转（圈）"),
    "cls_slider_mirror": ("mirror", "镜像"),
    "cls_frame_title": ("zoom × {zoom}, hue {hue:+.2f} turn, {mirror}",
                        "缩放 × {zoom}，色相 {hue:+.2f} 圈，{mirror}"),
    "cls_mirrored": ("mirrored", "镜像"),
    "cls_not_mirrored": ("not mirrored", "不镜像"),
    # the low-data comparison
    "cls_none": ("no augmentation", "不做增强"),
    "cls_mirror_colour": ("mirror + colour", "镜像 + 颜色"),
    "cls_all": ("mirror + colour + shift + zoom", "镜像 + 颜色 + 平移 + 缩放"),
    "cls_accuracy_row": ("{name}: top-1 {mean:.3f} ± {std:.3f} (seeds: {runs})",
                         "{name}：top-1 准确率 {mean:.3f} ± {std:.3f}（各种子：{runs}）"),
    "cls_live": ("ResNet, {n} training crops, {epochs} epochs ({steps} steps) per run, {runs} runs: "
                 "{seconds:.1f} s of CPU time",
                 "ResNet，{n} 张训练裁剪图，每次 {epochs} 轮（{steps} 步），共 {runs} 次：CPU 时间 {seconds:.1f} 秒"),
    "cls_gain": ("gain {gain:+.3f}, standard error {se:.3f}, Welch t = {tstat:.1f} (one-sided p = {p:.4f})",
                 "提升 {gain:+.3f}，标准误差 {se:.3f}，Welch t = {tstat:.1f}（单侧 p = {p:.4f}）"),
    "cls_accuracy_axis": ("top-1 accuracy on held-out crops", "留出裁剪图上的 top-1 准确率"),
    "cls_recorded": ("ViT, {n} training crops, {epochs} epochs per run (recorded by the full run, {device}):",
                     "ViT，{n} 张训练裁剪图，每次 {epochs} 轮（完整训练时记录，{device}）："),
    # the shipped models
    "cls_shipped": ("{name}: {params:,} parameters, trained on {train:,} crops for {steps:,} steps ({seconds:.0f} s of "
                    "CPU time, {device}); top-1 on {test:,} held-out crops: {accuracy:.3f} (recorded: {recorded:.3f})",
                    "{name}：{params:,} 个参数，在 {train:,} 张裁剪图上训练 {steps:,} 步（CPU 时间 {seconds:.0f} 秒，"
                    "{device}）；{test:,} 张留出裁剪图上的 top-1 准确率 {accuracy:.3f}（记录值 {recorded:.3f}）"),
    "cls_confusion_title": ("{name}: {wrong} of {total} wrong", "{name}：{total} 张中错 {wrong} 张"),
    "cls_truth": ("true class", "真实类别"),
    "cls_predicted": ("predicted class", "预测类别"),
    "cls_mistake": ("{model}: {truth}\n→ {predicted}, p = {p:.2f}", "{model}：{truth}\n→ {predicted}，p = {p:.2f}"),
    "cls_cut": ("{cut} of the {errors} errors are objects cut by the border of the scene, against {share:.0%} of all "
                "held-out crops", "{errors} 个错误中有 {cut} 个是被场景边缘截断的物体，而在全部留出裁剪图中这一比例为 {share:.0%}"),
    "cls_checked": ("augmentation gain, shipped accuracies, confusion matrices",
                    "数据增强的提升、随附模型的准确率、混淆矩阵"),
    # exercises
    "cls_topk": ("{name}: top-1 {top1:.3f}, top-2 {top2:.3f}, top-4 {top4:.3f}",
                 "{name}：top-1 {top1:.3f}，top-2 {top2:.3f}，top-4 {top4:.3f}"),
    "cls_recoloured": ("{name}: top-1 {plain:.3f} on the held-out crops, {recoloured:.3f} with red → green → blue → "
                       "red", "{name}：留出裁剪图上 top-1 {plain:.3f}，红 → 绿 → 蓝 → 红 换色后 {recoloured:.3f}"),
}
