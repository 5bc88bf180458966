"""Benchmarks run on demand (`python bench/run.py`); not part of the test suite."""
