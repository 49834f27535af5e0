"""The web: pages for officers and overseers, and the JSON API under /api/v1."""
