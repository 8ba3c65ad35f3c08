"""Datasets: a seeded synthetic scene generator."""

from __future__ import annotations

from .synthetic import NUM_PATTERNS, SyntheticConfig, SyntheticSequence, generate

__all__ = ["NUM_PATTERNS", "SyntheticConfig", "SyntheticSequence", "generate"]
