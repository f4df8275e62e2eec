"""taxer: crypto tax reporting from exchange histories."""

__version__ = "0.1.0"
