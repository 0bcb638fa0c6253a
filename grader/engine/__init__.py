"""The engine: exercise records, strategies, checks, judging and comparison, mistakes."""
