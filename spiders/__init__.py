"""Site-specific navigation and extraction."""
