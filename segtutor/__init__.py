"""segtutor."""
