"""`python -m minerwatch` runs the CLI."""

from minerwatch.cli import main

main()
