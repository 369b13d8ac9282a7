"""Pure rules of the guide: standard library only, no Prefect, no database."""
