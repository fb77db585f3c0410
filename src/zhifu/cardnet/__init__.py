"""The card-network simulator: documented test cards, everything offline (its own site)."""
