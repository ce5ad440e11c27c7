"""What every layer stands on: settings, the clock, the error family, hook points and small parsers."""
