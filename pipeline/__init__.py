"""hub-census: a daily, versioned census of the open model ecosystem on the Hugging Face Hub."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("hub-census")
except PackageNotFoundError:
    __version__ = "0.0.0+unknown"
