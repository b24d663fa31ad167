"""CLI command modules; each defines `register(app)`. Shared option types live in `common`."""
