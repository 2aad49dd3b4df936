"""Question understanding, pure: which executive, which period, what is left to search for."""
