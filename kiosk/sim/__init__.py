"""The day simulator: a whole hall day on the real parts, with an accelerated clock."""
