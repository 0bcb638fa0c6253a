# The exercises are collected by convgrade's pytest plugin (grader/pytest_plugin.py), which
# reads the checks from the registry. Run: pytest exercises/   (or -m ex03, -k pad2d)
