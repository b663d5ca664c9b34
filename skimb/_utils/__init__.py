"""Private utilities: parameter checks, shared docstrings, devices, files."""
