"""Stage 1, the package: its paths, its descriptor, its files read as tables, and the checks that keep hostile input out."""
