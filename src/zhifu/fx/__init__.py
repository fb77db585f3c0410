"""Exchange rates, quotes with a locked rate and spread, conversion and its rounding policy."""
