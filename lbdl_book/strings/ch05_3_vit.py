"""§5.3 Vision Transformer."""

# key: (English, 中文)
STRINGS: dict[str, tuple[str, str]] = {
    # an image as a sequence of patches
    "vit_patch_report": ("{h}×{w} image with {c} channel(s), patches of {p}×{p}: M = {m} patches of {values} values, "
                         "{tokens} tokens once the class token is added",
                         "{h}×{w} 的图像（{c} 个通道），图像块大小 {p}×{p}：M = {m} 个图像块，每块 {values} 个数值；"
                         "加上类别词元共 {tokens} 个词元"),
    "vit_digit_grid": ("a digit, 4×4 patches", "一个数字，4×4 个图像块"),
    "vit_patch_sequence": ("the same image as a sequence of 16 patches of 2×2 pixels",
                           "同一幅图像，写成 16 个 2×2 像素图像块组成的序列"),
    "vit_conv_report": ("W^E as a fully connected layer on the patches: {linear:,} parameters; as a convolution "
                        "with kernel and stride {p}: {conv:,} parameters; largest difference between the two "
                        "outputs {diff:.1e}",
                        "把 W^E 当作作用于图像块的全连接层：{linear:,} 个参数；当作核大小和步幅均为 {p} 的卷积："
                        "{conv:,} 个参数；两者输出的最大差 {diff:.1e}"),
    # ViT-B/16
    "vit_part_patch_embedding": ("patch embedding W^E (+ bias)", "图像块嵌入 W^E（含偏置）"),
    "vit_part_class_token": ("class token E_0", "类别词元 E_0"),
    "vit_part_positional": ("positional encoding (197 × 768)", "位置编码（197 × 768）"),
    "vit_part_attention": ("12 self-attention blocks", "12 个自注意力块"),
    "vit_part_feed_forward": ("12 feed-forward blocks", "12 个前馈块"),
    "vit_part_norm": ("final layer norm", "最后的层归一化"),
    "vit_part_head": ("linear read-out (1,000 classes)", "线性读出层（1,000 类）"),
    "vit_total": ("total", "合计"),
    # training
    "vit_model_report": ("ViT with D = {dim}, {heads} heads, {layers} layers, MLP width {mlp}: {params:,} parameters",
                         "ViT：D = {dim}，{heads} 个头，{layers} 层，MLP 宽度 {mlp}；共 {params:,} 个参数"),
    "vit_fit_report": ("{epochs} epochs of {steps} steps in {seconds:.1f} s on {device}: training accuracy "
                       "{train:.1%}, validation accuracy {val:.1%}",
                       "在 {device} 上训练 {epochs} 轮、每轮 {steps} 步，用时 {seconds:.1f} 秒：训练准确率 {train:.1%}，"
                       "验证准确率 {val:.1%}"),
    "vit_test_report": ("test set, used once: accuracy {acc:.1%}, {wrong} errors out of {n} images",
                        "测试集（只用这一次）：准确率 {acc:.1%}，{n} 张图像中错了 {wrong} 张"),
    "vit_train_loss": ("training loss", "训练损失"),
    "vit_val_accuracy": ("validation accuracy (%)", "验证准确率（%）"),
    # attention of the class token
    "vit_digit_label": ("digit {label}", "数字 {label}"),
    "vit_layer_k": ("layer {k}", "第 {k} 层"),
    "vit_attention_report": ("share of the class token's attention that goes to patches with ink: {share:.0%} "
                             "(layer {k}); these patches are {ink:.0%} of all patches",
                             "类别词元的注意力落在有笔迹的图像块上的比例：{share:.0%}（第 {k} 层）；"
                             "这些图像块占全部图像块的 {ink:.0%}"),
    # locality must be learned
    "vit_original": ("original", "原图"),
    "vit_scrambled": ("scrambled", "打乱后"),
    "vit_prediction": ("predicted {label}", "预测为 {label}"),
    "vit_scramble_report": ("on scrambled test images: the trained ViT {scrambled:.1%}, its twin with permuted "
                            "positions {twin:.1%} (the ViT on the real images: {original:.1%}); largest difference "
                            "between ViT(x) and twin(scrambled x): {diff:.1e}",
                            "在打乱的测试图像上：训练好的 ViT 准确率 {scrambled:.1%}，位置编码相应置换后的“孪生”模型 "
                            "{twin:.1%}（ViT 在原图上为 {original:.1%}）；ViT(x) 与孪生模型（打乱的 x）的最大差 "
                            "{diff:.1e}"),
    "vit_pe_row": ("row of the patch", "图像块所在行"),
    "vit_pe_column": ("column of the patch", "图像块所在列"),
    "vit_cosine": ("cosine similarity", "余弦相似度"),
    "vit_pe_claim": ("neighbouring patches get more similar position vectors: mean cosine similarity {near:.2f} "
                     "between neighbours, {far:.2f} between patches 3 or more steps apart: {verdict}",
                     "相邻图像块的位置向量更相似：相邻块之间的平均余弦相似度为 {near:.2f}，相距 3 步及以上的块之间为 "
                     "{far:.2f}：{verdict}"),
    "vit_reproduced": ("reproduced", "已复现"),
    "vit_not_reproduced": ("not reproduced at this scale", "在这个规模上未能复现"),
    # exercises
    "vit_count_row": ("{size}×{size} image, P = {p}: {m} patches, {tokens} tokens, W^E {embedding:,} parameters, "
                      "positional table {table:,}",
                      "{size}×{size} 的图像，P = {p}：{m} 个图像块，{tokens} 个词元；W^E 有 {embedding:,} 个参数，"
                      "位置编码表 {table:,} 个"),
    "vit_shuffle_report": ("test accuracy with one fixed shuffle of the patches: {acc:.1%} (unshuffled {base:.1%}); "
                           "a ViT without positional information gives the same logits for both, up to {diff:.1e}",
                           "把图像块按同一个固定顺序打乱后的测试准确率：{acc:.1%}（未打乱时为 {base:.1%}）；"
                           "没有位置信息的 ViT 对两者给出相同的 logits，误差不超过 {diff:.1e}"),
    "vit_checked": ("ViT-B/16 = 86,567,656 parameters, test accuracy > 92 %, patch-order symmetry",
                    "ViT-B/16 = 86,567,656 个参数、测试准确率 > 92%、图像块顺序的对称性"),
}
