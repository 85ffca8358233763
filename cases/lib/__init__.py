"""Pure helpers for cases: no database, plain data in and out."""
