"""The terminal: stats, search, ask, top and summary commands and their plain-text rendering."""
