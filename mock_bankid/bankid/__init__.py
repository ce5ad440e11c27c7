"""What makes the provider BankID: its claims, scopes, ``acr``/``amr`` and ``login_hint`` method selectors,
handed to the provider-neutral machinery as one ``Dialect`` (``dialect.BANKID``)."""
