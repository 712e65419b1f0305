"""§5.2 Convolutional networks (cnn_) and Residual networks (res_)."""

# key: (English, 中文)
STRINGS: dict[str, tuple[str, str]] = {
    # tables of layers
    "cnn_col_name": ("module", "模块"),
    "cnn_col_layer": ("layer", "层"),
    "cnn_col_shape": ("output shape", "输出形状"),
    "cnn_col_params": ("parameters", "参数量"),
    "cnn_total": ("total", "合计"),
    "cnn_sharing": ("the first convolution computes {outputs:,} values with {params:,} parameters; a fully "
                    "connected layer computing them from the {inputs} pixels would need {dense:,}",
                    "第一个卷积层用 {params:,} 个参数算出 {outputs:,} 个值；若用全连接层从 {inputs} 个像素算出同样多的值，"
                    "需要 {dense:,} 个参数"),
    # data
    "cnn_data_report": ("{train} training, {val} validation and {test} test images, {size}×{size} pixels; "
                        "training mean {mean:.3f}, standard deviation {std:.3f}",
                        "训练集 {train} 张、验证集 {val} 张、测试集 {test} 张图像，{size}×{size} 像素；"
                        "训练集像素均值 {mean:.3f}，标准差 {std:.3f}"),
    "cnn_original": ("8×8 original", "8×8 原图"),
    "cnn_upsampled": ("upsampled to 28×28", "上采样到 28×28"),
    # training
    "cnn_fit_report": ("{epochs} epochs of {steps} steps in {seconds:.1f} s on {device}: training loss {loss:.4f}, "
                       "validation accuracy {val:.1%}",
                       "{epochs} 轮（每轮 {steps} 步），在 {device} 上用时 {seconds:.1f} 秒：训练损失 {loss:.4f}，"
                       "验证准确率 {val:.1%}"),
    "cnn_train_loss": ("training loss", "训练损失"),
    "cnn_val_loss": ("validation loss", "验证损失"),
    "cnn_val_accuracy": ("validation accuracy", "验证准确率"),
    "cnn_test_report": ("test set, used once: accuracy {acc:.1%}, {wrong} errors out of {n} images",
                        "测试集（只用这一次）：准确率 {acc:.1%}，{n} 张图像中错了 {wrong} 张"),
    "cnn_confusion": ("confusion matrix of the test set", "测试集的混淆矩阵"),
    "cnn_predicted": ("predicted digit", "预测的数字"),
    "cnn_true": ("true digit", "真实数字"),
    "cnn_mistake": ("{true} read as {pred}", "{true} 被认成 {pred}"),
    "cnn_mistakes": ("the misclassified test digits", "被分错的测试数字"),
    # inside the network
    "cnn_filters": ("the 32 filters of the first convolution (5×5)", "第一个卷积层的 32 个 5×5 滤波器"),
    "cnn_maps": ("their 32 feature maps (24×24) for this digit", "它们对这个数字的 32 张特征图（24×24）"),
    "cnn_filter_change": ("training moved the filters of the first convolution by {change:.0%} of their initial norm",
                          "训练使第一个卷积层的滤波器变化了其初始范数的 {change:.0%}"),
    # exercises
    "cnn_relu_count": ("ReLU applied to {after:,} values after pooling instead of {before:,} before it (÷{ratio:.0f})",
                       "在池化之后做 ReLU 只需处理 {after:,} 个值，池化之前则要 {before:,} 个（÷{ratio:.0f}）"),
    "cnn_shift_report": ("shift by {pixels} pixels of 28 ({original:.2f} original pixels): test accuracy {acc:.1%}",
                         "平移 {pixels} 个像素（28 像素的图上，相当于原图的 {original:.2f} 个像素）：测试准确率 {acc:.1%}"),
    "cnn_vgg_report": ("{what}: receptive field {field}×{field}, {params:,} weights for C = {c}",
                       "{what}：感受野 {field}×{field}，C = {c} 时有 {params:,} 个权重"),
    "cnn_one_5x5": ("one 5×5 convolution", "一个 5×5 卷积"),
    "cnn_two_3x3": ("two 3×3 convolutions", "两个 3×3 卷积"),
    "cnn_checked": ("Figure 5.2, 105,506 parameters, test accuracy at least 97 %",
                    "图 5.2、105,506 个参数、测试准确率不低于 97%"),

    # --- Residual networks -------------------------------------------------------------
    "res_saving": ("bottleneck block at C = 256: {bottleneck:,} convolution weights; two 3×3 convolutions at "
                   "256 channels: {basic:,} (×{ratio:.1f}); at 64 channels: {basic64:,}",
                   "C = 256 的瓶颈块：卷积权重 {bottleneck:,} 个；256 通道上的两个 3×3 卷积：{basic:,} 个"
                   "（×{ratio:.1f}）；64 通道上：{basic64:,} 个"),
    "res_identity": ("with γ = 0 in its last batch normalization, the block returns its input: max |Y − X| = {gap:g}",
                     "把最后一个批量归一化层的 γ 置为 0，残差块就原样输出输入：max |Y − X| = {gap:g}"),
    "res_stride_report": ("stride on the {place} convolution: {params:,} parameters (block 256 → 512), output "
                          "{shape} (block 16 → 64 on 8×8), {seen:.0%} of the input pixels reach the output",
                          "步幅放在 {place} 卷积上：{params:,} 个参数（256 → 512 的块），输出 {shape}"
                          "（8×8 输入上 16 → 64 的块），输入像素中有 {seen:.0%} 影响输出"),
    "res_macs_report": ("ResNet-50 with the stride on the {place} convolution: {macs:.3f} × 10⁹ multiply-adds "
                        "per image", "步幅放在 {place} 卷积上的 ResNet-50：每张图像 {macs:.3f} × 10⁹ 次乘加"),
    "res_col_macs": ("multiply-adds", "乘加次数"),
    "res_reached": ("input pixels that reach the output", "影响输出的输入像素"),
    "res_stride_on": ("stride on the {place} convolution", "步幅在 {place} 卷积上"),
    "res_forward": ("one forward pass of ResNet-50 on a 3×224×224 image: {seconds:.2f} s on {device}, "
                    "{macs:.2f} × 10⁹ multiply-adds, output {shape}",
                    "ResNet-50 对一张 3×224×224 图像做一次前向传播：在 {device} 上用时 {seconds:.2f} 秒，"
                    "{macs:.2f} × 10⁹ 次乘加，输出形状 {shape}"),
    "res_stage_share": ("stage {stage}: {params:,} parameters ({share:.1%})",
                        "第 {stage} 阶段：{params:,} 个参数（{share:.1%}）"),
    "res_stem_head": ("stem {stem:,} ({stem_share:.1%}), classifier {head:,} ({head_share:.1%})",
                      "起始层 {stem:,}（{stem_share:.1%}），分类层 {head:,}（{head_share:.1%}）"),
    "res_digits_model": ("small ResNet for 8×8 digits: {params:,} parameters", "用于 8×8 数字的小型 ResNet：{params:,} 个参数"),
    "res_fit_report": ("{epochs} epochs in {seconds:.1f} s on {device}: training loss {loss:.4f}, validation accuracy "
                       "{val:.1%}; test accuracy {test:.1%} ({wrong} errors out of {n})",
                       "{epochs} 轮，在 {device} 上用时 {seconds:.1f} 秒：训练损失 {loss:.4f}，验证准确率 {val:.1%}；"
                       "测试准确率 {test:.1%}（{n} 张中错 {wrong} 张）"),
    "res_layers": ("weight layers on the main path: {convs} convolutions + {fc} fully connected = {total}; "
                   "not counted: {shortcuts} shortcut convolutions",
                   "主路径上的权重层：{convs} 个卷积 + {fc} 个全连接 = {total}；未计入：{shortcuts} 个捷径卷积"),
    "res_gap_report": ("global average pooling + fully connected: {gap:,} parameters; flatten + fully connected: "
                       "{flat:,} (×{ratio:.0f})",
                       "全局平均池化 + 全连接：{gap:,} 个参数；展平 + 全连接：{flat:,} 个（×{ratio:.0f}）"),
    "res_first_block": ("first block: {c_in} → {c_out} channels; its shortcut has {params:,} parameters",
                        "第一个块：{c_in} → {c_out} 个通道；它的捷径有 {params:,} 个参数"),
    "res_stage_macs": ("multiply-adds per stage: {shares}", "各阶段的乘加次数占比：{shares}"),
    "res_plain": ("plain", "普通"),
    "res_residual": ("residual", "残差"),
    "res_depth_label": ("{layers} layers, {kind}", "{layers} 层，{kind}"),
    "res_layers_n": ("{layers} layers", "{layers} 层"),
    "res_depth_train_loss": ("training loss", "训练损失"),
    "res_depth_train_error": ("error on the training images (%)", "训练图像上的错误率（%）"),
    "res_depth_row": ("{layers} layers, {kind}: {params:,} parameters, {steps} steps in {seconds:.1f} s; "
                      "error on its own training images {error:.1%}",
                      "{layers} 层，{kind}：{params:,} 个参数，{steps} 步，用时 {seconds:.1f} 秒；"
                      "在自己的训练图像上的错误率 {error:.1%}"),
    "res_checked": ("Figures 5.3-5.5, 25,557,032 parameters, stride placements, digits accuracy",
                    "图 5.3–5.5、25,557,032 个参数、步幅位置、数字识别准确率"),
}
