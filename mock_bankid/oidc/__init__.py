"""The OpenID Connect machinery: clients and their authentication, codes, sessions, tokens, refresh."""
