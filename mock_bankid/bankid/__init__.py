"""What makes the provider BankID: its claims, ``login_hint`` method selectors and fidelity profiles."""
