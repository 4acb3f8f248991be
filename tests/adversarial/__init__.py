"""Hostile and broken submissions of lesson 01, made from its student version (see corpus.py)."""
