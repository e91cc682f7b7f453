"""Texts for people in every language: declarations, catalogs, plural rules, PO files."""
