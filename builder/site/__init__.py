"""Stage 6, the site: Markdown pages rendered from templates, then MkDocs + Material, its hooks, the page cache and assets."""
