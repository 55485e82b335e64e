"""Công dân số: a two-way channel between a city and its residents."""

__version__ = "0.1.0"
