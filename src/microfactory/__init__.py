"""microfactory: the digital core of a network of microfactories."""

from microfactory.errors import ErrorCode, MicrofactoryError

__version__ = "0.1.0"

__all__ = ["ErrorCode", "MicrofactoryError", "__version__"]
