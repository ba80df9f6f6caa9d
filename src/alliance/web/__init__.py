"""Server-rendered pages (Jinja2), translations (Babel catalogues) and local static assets."""

from pathlib import Path

STATIC_DIR = Path(__file__).parent / "static"
TEMPLATES_DIR = Path(__file__).parent / "templates"
TRANSLATIONS_DIR = Path(__file__).parent / "translations"
