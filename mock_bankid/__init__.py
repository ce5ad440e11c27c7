"""mock-bankid: a mock of the Norwegian BankID OpenID Connect provider. Not for production."""

__version__ = "0.1.0"
