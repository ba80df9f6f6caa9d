"""Server-rendered pages (Jinja2), their language (alliance.language's catalogues) and local static assets."""

from pathlib import Path

STATIC_DIR = Path(__file__).parent / "static"
TEMPLATES_DIR = Path(__file__).parent / "templates"
