"""Offline datasets: generated procedurally or shipped with the package (no network)."""

from .toy import clusters, line_data, sine, sine_regression

__all__ = ["clusters", "line_data", "sine", "sine_regression"]
