"""Texts recorded from Java, and the script that records them."""
