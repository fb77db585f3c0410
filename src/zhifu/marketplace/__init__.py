"""The reference shop: buyers, catalogue, orders; the identity provider (its own site)."""
