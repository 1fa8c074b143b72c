"""Stage 4, downloads: each table and view as CSV, JSON, Parquet, XLSX, SQLite and a zip; the JSON API; Croissant; citations."""
