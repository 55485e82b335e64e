"""HTML pages (Jinja2 + HTMX). Every page works without JavaScript."""
