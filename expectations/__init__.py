"""expectations layer."""
