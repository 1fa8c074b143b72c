"""Stage 3, derived views: what the package's story derives from the checked tables with Polars, and the API stories use."""
