"""``python -m resume_ner`` runs the CLI."""

from resume_ner.cli.app import main

main()
