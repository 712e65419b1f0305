"""§3.6 Training protocols."""

# key: (English, 中文)
STRINGS: dict[str, tuple[str, str]] = {
    # data and splits
    "tp_label_title": ("label {label}", "标签 {label}"),
    "tp_split": ("{train} training, {val} validation and {test} test images, {flipped:.0%} of the labels changed "
                 "by the noise; the network has {params:,} parameters, {ratio:.0f} per training image",
                 "训练集 {train} 张、验证集 {val} 张、测试集 {test} 张图像，{flipped:.0%} 的标签被噪声改动；"
                 "网络有 {params:,} 个参数，平均每张训练图像 {ratio:.0f} 个"),
    # Figure 3.5 and early stopping
    "tp_validation": ("validation", "验证"),
    "tp_overfitting": ("overfitting", "过拟合"),
    "tp_epochs": ("number of epochs", "轮数"),
    "tp_best_epoch": ("minimum of the validation loss (epoch {epoch})", "验证损失的最小值（第 {epoch} 轮）"),
    "tp_run_report": ("epoch {best}: training loss {train_best:.3f}, validation loss {val_best:.3f}, validation "
                      "accuracy {acc_best:.1%}\nepoch {epochs}: training loss {train_last:.5f} (training accuracy "
                      "{train_acc:.0%}), validation loss {val_last:.3f}, validation accuracy {acc_last:.1%}",
                      "第 {best} 轮：训练损失 {train_best:.3f}，验证损失 {val_best:.3f}，验证准确率 {acc_best:.1%}\n"
                      "第 {epochs} 轮：训练损失 {train_last:.5f}（训练准确率 {train_acc:.0%}），验证损失 {val_last:.3f}，"
                      "验证准确率 {acc_last:.1%}"),
    "tp_stop_report": ("patience {patience}: training stops after epoch {stop} and keeps the model of epoch {best}, "
                       "validation loss {loss:.4f} (the restored model gives {rerun:.4f})",
                       "耐心值 {patience}：训练在第 {stop} 轮后停止，保留第 {best} 轮的模型，验证损失 {loss:.4f}"
                       "（恢复后的模型给出 {rerun:.4f}）"),
    "tp_test_once": ("test set, used once: loss {loss:.3f}, accuracy {acc:.1%} against its labels, of which "
                     "{correct:.1%} are right; {true_acc:.1%} against the true digits",
                     "测试集（只用这一次）：损失 {loss:.3f}；对照测试标签的准确率 {acc:.1%}（其中 {correct:.1%} 的标签"
                     "正确）；对照真实数字的准确率 {true_acc:.1%}"),
    # double descent
    "tp_features": ("number of random features $p$", "随机特征数 $p$"),
    "tp_test_error": ("test error rate", "测试错误率"),
    "tp_test_squared_error": ("test squared error", "测试平方误差"),
    "tp_threshold": ("$p = N$: interpolation threshold", "$p = N$：插值阈值"),
    "tp_dd_report": ("test error: {classical:.1%} at best below the threshold (p = {p_classical}), {peak:.1%} at "
                     "p = N = {n}, {large:.1%} at p = {p_max}",
                     "测试错误率：阈值以下最好为 {classical:.1%}（p = {p_classical}），p = N = {n} 时为 {peak:.1%}，"
                     "p = {p_max} 时为 {large:.1%}"),
    "tp_claim": ("claim check, {claim}: {verdict}", "论断检验，{claim}：{verdict}"),
    "tp_claim_large": ("models far past the interpolation threshold beat the best smaller one",
                       "远超插值阈值的模型胜过阈值以下最好的模型"),
    "tp_reproduced": ("reproduced", "已复现"),
    "tp_not_reproduced": ("not reproduced at this scale", "在这个规模上未能复现"),
    "tp_checked": ("Figure 3.5, early stopping, double descent, schedules, fine-tuning",
                   "图 3.5、早停、双下降、学习率调度、微调"),
    # learning-rate schedules
    "tp_learning_rate": ("learning rate", "学习率"),
    "tp_training_loss": ("training loss", "训练损失"),
    "tp_constant": ("constant", "常数"),
    "tp_step_decay": ("step decay", "阶梯衰减"),
    "tp_cosine": ("cosine", "余弦退火"),
    "tp_warmup_cosine": ("warm-up + cosine", "预热 + 余弦退火"),
    "tp_constant_small": ("constant rate 0.02", "常数学习率 0.02"),
    "tp_decaying": ("cosine annealing from 0.2 to 0.02", "从 0.2 余弦退火到 0.02"),
    "tp_basins_row": ("{name}: {trapped} of {count} runs end in the narrow well; the others end within {largest:.1e} "
                      "of the global minimum",
                      "{name}：{count} 次运行中有 {trapped} 次停在窄井里；其余的最终离全局最小值不到 {largest:.1e}"),
    "tp_gain_report": ("gain of fine-tuning per number of labels (mean ± standard error over the draws): {gains}",
                       "微调带来的提升，按每类标签数（各次抽取的平均值 ± 标准误差）：{gains}"),
    "tp_schedule_report": ("{name}: final training loss {losses} (seeds 0, 1, 2), mean validation accuracy {acc:.1%}",
                           "{name}：最终训练损失 {losses}（种子 0、1、2），平均验证准确率 {acc:.1%}"),
    # fine-tuning
    "tp_pretrain_report": ("task A (digits 0-4, {n} images): validation accuracy {acc:.1%}",
                           "任务 A（数字 0-4，{n} 张图像）：验证准确率 {acc:.1%}"),
    "tp_labels_per_class": ("labelled images per class in task B", "任务 B 每类带标签的图像数"),
    "tp_test_accuracy": ("test accuracy on task B", "任务 B 的测试准确率"),
    "tp_from_scratch": ("trained from scratch", "从头训练"),
    "tp_fine_tuned": ("fine-tuned from task A", "从任务 A 微调"),
    "tp_finetune_report": ("labels per class {k:>2}: from scratch {scratch:.1%}, fine-tuned {tuned:.1%}",
                           "每类标签数 {k:>2}：从头训练 {scratch:.1%}，微调 {tuned:.1%}"),
}
