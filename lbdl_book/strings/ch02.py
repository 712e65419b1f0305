"""Chapter 2: efficient computation."""

# key: (English, 中文)
STRINGS: dict[str, tuple[str, str]] = {
    # 2.1 GPUs, TPUs and batches
    "batch_size": ("batch size $B$", "批量大小 $B$"),
    "intensity_axis": ("FLOPs per byte moved", "每搬运一字节的浮点运算次数"),
    "intensity_title": ("arithmetic intensity of a {d}x{d} linear layer", "{d}x{d} 线性层的计算强度"),
    "one_at_a_time": ("one sample at a time", "逐个样本"),
    "batched": ("whole batch at once", "整个批量一次算完"),
    "time_per_batch": ("time for the batch (s)", "整个批量的耗时（秒）"),
    "time_per_sample": ("time per sample (µs)", "每个样本耗时（微秒）"),
    "no_gpu_link": (
        "No GPU on this machine: there is no host-to-device copy to measure here. "
        "Run this notebook on a machine with CUDA to see it.",
        "本机没有 GPU，因此无法测量主机到设备的拷贝。请在有 CUDA 的机器上运行本笔记本查看结果。",
    ),
    # 2.2 tensors
    "operation": ("operation", "操作"),
    "storage_original": ("x = arange(12).reshape(3, 4), stride {stride}", "x = arange(12).reshape(3, 4)，步幅 {stride}"),
    "shape_stride": ("shape {shape}, stride {stride}", "形状 {shape}，步幅 {stride}"),
    "view_shares": ("a view: same memory as x", "视图：与 x 共享内存"),
    "view_copies": ("a copy: new memory", "副本：新分配的内存"),
}
