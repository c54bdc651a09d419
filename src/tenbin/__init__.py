"""tenbin (天秤): a self-hosted generative-AI gateway that measures before it routes."""

from tenbin.config import Settings, load_settings
from tenbin.engine import CallInfo, Engine
from tenbin.errors import TenbinError

__version__ = "0.1.0"

__all__ = ["CallInfo", "Engine", "Settings", "TenbinError", "__version__", "load_settings"]
