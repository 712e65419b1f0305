"""Chapter 8 (the compute schism): the opening page."""

# key: (English, 中文)
STRINGS: dict[str, tuple[str, str]] = {
    "ch08_model": ("model", "模型"),
    "ch08_params": ("parameters", "参数"),
    "ch08_use": ("use", "用途"),
    "ch08_train_adam": ("training with Adam (float32)", "用 Adam 训练（float32）"),
    "ch08_float16": ("running, float16", "推理，float16"),
    "ch08_q8_0": ("running, Q8_0 (8.5 bits)", "推理，Q8_0（8.5 位）"),
    "ch08_q4_1": ("running, Q4_1 (5 bits)", "推理，Q4_1（5 位）"),
    "ch08_16gb": ("fits in 16 GB", "16 GB 放得下"),
    "ch08_24gb": ("fits in 24 GB", "24 GB 放得下"),
    "ch08_80gb": ("fits in 80 GB", "80 GB 放得下"),
    "ch08_speed": ("{model}: at most {f16:,.2f} tokens per second in float16, {q4:,.2f} in Q4_1",
                   "{model}：float16 下每秒最多 {f16:,.2f} 个词元，Q4_1 下 {q4:,.2f} 个"),
    "ch08_checked": ("training GPT-3 needs terabytes and 5-bit GPT-3 does not fit in 80 GB; GPT-2 small fits in "
                     "16 GB even for training; the two Llama-sized GPTs train in none of the three memories, and the "
                     "bits per weight decide where they run; single-stream speed is inversely proportional to the "
                     "bytes read",
                     "训练 GPT-3 需要数 TB 内存，5 位的 GPT-3 也放不进 80 GB；GPT-2 small 连训练都放得进 16 GB；"
                     "两个 Llama 大小的 GPT 在三种内存中都无法训练，能在哪里运行取决于每个权重的位数；"
                     "单流推理的速度与读取的字节数成反比"),
}
