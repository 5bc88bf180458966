"""Servers and fault injection for tests and benchmarks; never installed."""
