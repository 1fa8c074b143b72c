"""Stage 2, checking: Table Schema (as frictionless does) and the rules of our own, in one report.

validate runs them in order: structure (the descriptor), schema (every file's cells and keys, read
into the typed tables), rules (ours and the story's); messages words every fault with its fix.
"""
