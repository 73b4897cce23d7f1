"""The seed scenario (used by the demo and the tests) and the demo itself."""
