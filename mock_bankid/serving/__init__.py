"""Serving under gunicorn: the worker class of ``serve`` and the two documents answered below Flask."""
