"""Llama Ledger builder: turns a curated Frictionless data package into a validated, downloadable site."""

__version__ = "0.1.0"
