"""Framework-free building blocks shared by every area (no Django imports here)."""
