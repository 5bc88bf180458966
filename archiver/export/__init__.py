"""Exports: JSON Lines snapshots, publishing them whole, and a snapshot back into SQLite."""
