"""The dashboard: Jinja2 templates, static CSS and server-rendered SVG charts (no JavaScript needed)."""
