# chain/validation.mk: sources and tests of this area (filled in by its work).
