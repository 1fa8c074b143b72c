"""Stage 5, history: releases read from the repository's git history, the row-by-row diff between them, their downloads."""
