"""convgrade: auto-graded convolution exercises for PyTorch, graded against torch itself.

The package is organised as one registry (:mod:`grader.engine.registry`) of exercise records
(:mod:`grader.engine.exercise`), declared once per exercise file in :mod:`grader.catalog`, and many
front-ends that read it: the pytest plugin, the batch grader, the CLI.
"""

__version__ = "0.1.0"
