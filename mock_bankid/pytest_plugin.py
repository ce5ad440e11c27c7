"""pytest plugin (entry point ``pytest11``): fixtures for suites that test against mock-bankid."""
