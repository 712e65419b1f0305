"""§6.3 Object detection (det_)."""

# key: (English, 中文)
STRINGS: dict[str, tuple[str, str]] = {
    # data
    "det_data": ("{train} training scenes for the live run, {held} held-out scenes (seed {seed}) with {objects} "
                 "objects, {per:.2f} per scene; object sizes max(x2 − x1, y2 − y1) from {smallest:g} to {largest:g} "
                 "pixels, median {median:g}",
                 "现场训练用 {train} 个训练场景；留出场景 {held} 个（种子 {seed}），共 {objects} 个物体，平均每个场景 "
                 "{per:.2f} 个；物体尺寸 max(x2 − x1, y2 − y1) 从 {smallest:g} 到 {largest:g} 像素，中位数 {median:g}"),
    # the detector
    "det_table_header": ("| map | D × H × W | cell (px) | default box $a_s$ (px) | receptive field (px) | "
                         "default boxes |",
                         "| 特征图 | D × H × W | 单元格（像素） | 默认框 $a_s$（像素） | 感受野（像素） | 默认框数 |"),
    "det_table_total": ("| **total** | | | | | **{boxes:,}** default boxes, **{params:,}** parameters |",
                        "| **合计** | | | | | **{boxes:,}** 个默认框，**{params:,}** 个参数 |"),
    "det_scale_panel": ("$Z_{s}$: {grid}×{grid} cells of {cell} px\nbox {box} px, field {field} px",
                        "$Z_{s}$：{grid}×{grid} 个 {cell} 像素的单元格\n默认框 {box} 像素，感受野 {field} 像素"),
    # matching
    "det_scales_used": ("held-out objects per scale: {counts}", "各尺度分到的留出物体数：{counts}"),
    "det_ratios_used": ("held-out objects per aspect ratio of the default box: {counts}",
                        "按默认框宽高比统计的留出物体数：{counts}"),
    "det_dropped": ("{dropped} of the {objects} objects lose their default box to a larger object",
                    "{objects} 个物体中有 {dropped} 个的默认框被更大的物体占去"),
    "det_slider_size": ("box size (px)", "框的尺寸（像素）"),
    "det_slider_x": ("centre x (px)", "中心 x（像素）"),
    "det_matching_title": ("size {size} px → scale $Z_{s}$ ({grid}×{grid}, default box {box} px)\n"
                           "centre → cell (h, w) = ({row}, {column}); shape → ratio {ratio}",
                           "尺寸 {size} 像素 → 尺度 $Z_{s}$（{grid}×{grid}，默认框 {box} 像素）\n"
                           "中心 → 单元格 (h, w) = ({row}, {column})；形状 → 宽高比 {ratio}"),
    # training
    "det_live": ("live run: {scenes} scenes, {epochs} epochs in {seconds:.1f} s on {device}; training loss "
                 "{first:.2f} → {last:.2f}",
                 "现场训练：{scenes} 个场景，{epochs} 轮，在 {device} 上用时 {seconds:.1f} 秒；训练损失 "
                 "{first:.2f} → {last:.2f}"),
    "det_shipped": ("shipped weights: {steps:,} steps of {batch} fresh scenes, {seconds:.0f} s on {device}; "
                    "recorded on the held-out scenes: mAP@0.5 = {map50:.3f}, mAP@[.5:.95] = {map:.3f}; "
                    "{params:,} parameters",
                    "随包提供的权重：{steps:,} 步，每步 {batch} 个新生成的场景，在 {device} 上用时 {seconds:.0f} 秒；"
                    "训练时在留出场景上记录的 mAP@0.5 = {map50:.3f}，mAP@[.5:.95] = {map:.3f}；{params:,} 个参数"),
    # decoding and NMS
    "det_nms_counts": ("this scene: {before} candidates of score > 0.05 without NMS, {after} detections after it, "
                       "for {objects} objects",
                       "这个场景：不做 NMS 时有 {before} 个得分 > 0.05 的候选框，NMS 之后剩 {after} 个检测结果，"
                       "而物体有 {objects} 个"),
    "det_nms_before": ("without NMS: {n} boxes of score > {threshold:g}", "不做 NMS：{n} 个得分 > {threshold:g} 的框"),
    "det_nms_after": ("after NMS: {n} boxes", "NMS 之后：{n} 个框"),
    # evaluation
    "det_map": ("shipped detector on {n} held-out scenes: mAP@0.5 = {map50:.3f}, mAP@[.5:.95] = {map:.3f} "
                "(mAP@0.75 = {map75:.3f})",
                "随包权重的检测器在 {n} 个留出场景上：mAP@0.5 = {map50:.3f}，mAP@[.5:.95] = {map:.3f}"
                "（mAP@0.75 = {map75:.3f}）"),
    "det_recall": ("recall", "召回率"),
    "det_precision": ("interpolated precision", "插值精确率"),
    "det_iou_at": ("IoU threshold {threshold:g}", "IoU 阈值 {threshold:g}"),
    "det_mean_box": ("mean box per class, scored by the class frequency", "每类的平均框，得分为类别频率"),
    "det_random": ("100 random boxes per image", "每张图像 100 个随机框"),
    "det_baseline": ("baseline, {name}: mAP@0.5 = {map50:.3f}, mAP@[.5:.95] = {map:.3f}",
                     "基线（{name}）：mAP@0.5 = {map50:.3f}，mAP@[.5:.95] = {map:.3f}"),
    "det_coco": ("pycocotools on the same detections: mAP@0.5 = {map50:.6f}, mAP@[.5:.95] = {map:.6f}",
                 "pycocotools 在同样的检测结果上：mAP@0.5 = {map50:.6f}，mAP@[.5:.95] = {map:.6f}"),
    "det_checked": ("the detector's shapes and matching, the live run, the shipped detector's mAP above the target "
                    "and the baselines, and pycocotools' agreement",
                    "检测器的形状与匹配、现场训练、随包权重的 mAP 高于目标和基线，以及与 pycocotools 的一致性"),
    # exercises
    "det_imbalance": ("{positives} matched and {negatives:,} unmatched default boxes ({ratio:.0f} to 1); the loss "
                      "of an image uses {used:.1f} default boxes on average",
                      "匹配的默认框 {positives} 个，未匹配的 {negatives:,} 个（{ratio:.0f} 比 1）；平均每张图像的损失"
                      "只用到 {used:.1f} 个默认框"),
    "det_rule_compare": ("rule {rule!r}: {per_object:.2f} default boxes per object; matched boxes per scale "
                         "Z1…Z5: {scales}",
                         "规则 {rule!r}：每个物体 {per_object:.2f} 个默认框；各尺度 Z1…Z5 匹配的默认框数：{scales}"),
    "det_no_nms": ("{n} held-out scenes: {with_count} detections with NMS ({with_high} of score > 0.5), "
                   "{without_count} without ({without_high} of score > 0.5); mAP@0.5 = {with_nms:.3f} with NMS, "
                   "{without:.3f} without",
                   "{n} 个留出场景：有 NMS 时检测结果 {with_count} 个（得分 > 0.5 的 {with_high} 个），没有 NMS 时 "
                   "{without_count} 个（得分 > 0.5 的 {without_high} 个）；mAP@0.5 有 NMS 时为 {with_nms:.3f}，"
                   "没有 NMS 时为 {without:.3f}"),
    "det_monotone": ("AP of each class at the ten thresholds 0.5 … 0.95:\n{table}",
                     "各类别在 0.5 … 0.95 十个阈值下的 AP：\n{table}"),
}
