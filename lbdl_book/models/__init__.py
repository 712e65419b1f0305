"""Models of the book, one module per topic."""

from .basis import BasisFunctionRegression, fit_gradient_descent, gaussian_features, mse
from .density import GaussianMixture

__all__ = ["BasisFunctionRegression", "GaussianMixture", "fit_gradient_descent", "gaussian_features", "mse"]
