"""§6 Prediction: the chapter opening and its scenes."""

# key: (English, 中文)
STRINGS: dict[str, tuple[str, str]] = {
    "scene_shapes": ("disc", "圆盘"),
    "scene_square": ("square", "正方形"),
    "scene_triangle": ("triangle", "三角形"),
    "scene_cross": ("cross", "十字"),
    "scene_background": ("background", "背景"),
    "scene_image": ("image, boxes and classes", "图像、边框和类别"),
    "scene_mask": ("per-pixel classes", "逐像素类别"),
    "scene_batch": ("{n:,} scenes of {size} × {size} pixels: images {images}, masks {masks}; "
                    "{objects:,} labelled objects, {per:.2f} per scene",
                    "{n:,} 个 {size} × {size} 像素的场景：图像 {images}，掩码 {masks}；"
                    "共 {objects:,} 个带标注的物体，平均每个场景 {per:.2f} 个"),
    "scene_counts": ("objects per scene: {counts}", "每个场景的物体数：{counts}"),
    "scene_classes": ("share of each class among the objects: {shares}", "各类别在物体中的占比：{shares}"),
    "scene_occluded": ("{share:.0%} of the objects are partly hidden by another one",
                       "{share:.0%} 的物体被别的物体挡住了一部分"),
    "scene_speed": ("{rate:,.0f} scenes per second of CPU time on one thread", "单线程每秒 CPU 时间生成 {rate:,.0f} 个场景"),
    "scene_checked": ("the scenes' labels agree with their pixels, and the generator is fast and repeatable",
                      "场景的标注与像素一致，生成器又快又可重复"),
}
