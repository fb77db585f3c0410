"""zhifu: a self-hostable wallet and payment service for marketplaces."""

__version__ = "0.1.0"
