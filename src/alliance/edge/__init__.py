"""What the API and the web pages share at the edge of the app (see the handbook's architecture)."""
