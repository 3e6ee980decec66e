"""The web pages, their static files and their interface catalogs (no build step)."""
