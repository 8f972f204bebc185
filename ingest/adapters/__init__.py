"""One module per source; each yields records. ``registry.py`` lists them."""
