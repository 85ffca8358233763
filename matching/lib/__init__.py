"""Pure matching algorithms: eligibility and allocation over plain data."""
