"""Strings shared by several sections, and the preface."""

# key: (English, 中文)
STRINGS: dict[str, tuple[str, str]] = {
    # shared
    "x": ("$x$", "$x$"),
    "y": ("$y$", "$y$"),
    "train_points": ("training points", "训练点"),
    "test_points": ("test points", "测试点"),
    "true_function": ("true function", "真实函数"),
    "fit": ("fit", "拟合结果"),
    "train_mse": ("training MSE", "训练 MSE"),
    "test_mse": ("test MSE", "测试 MSE"),
    "accuracy": ("accuracy", "准确率"),
    "loss": ("loss", "损失"),
    "epoch": ("epoch", "轮次"),
    "step": ("step", "步数"),
    "training": ("training", "训练"),
    "check_passed": ("check passed: {claim}", "检查通过：{claim}"),
    # preface
    "env_device": ("device", "设备"),
    "env_profile": ("profile", "配置档"),
    "env_language": ("language", "语言"),
    "env_torch": ("PyTorch", "PyTorch"),
}
