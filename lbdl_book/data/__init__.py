"""Offline datasets: generated procedurally or shipped with the package (no network)."""

from .toy import clusters, identities, line_data, sine, sine_regression

__all__ = ["clusters", "identities", "line_data", "sine", "sine_regression"]
