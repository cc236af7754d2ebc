"""Hand-checked seed environments (``*.py.txt``): examples for authors and for tests.

They are data, not modules: like every synthesized source they only run inside the sandbox.
"""
