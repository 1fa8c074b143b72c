"""Stage 2, checking: Table Schema (as frictionless does) and the rules of our own, in one report."""
