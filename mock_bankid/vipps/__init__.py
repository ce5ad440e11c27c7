"""Vipps Login (Vipps MobilePay's OpenID Connect): the second provider, served beside BankID.

Its dialect (``dialect.py``) and claims (``claims.py``); its URL layout is in ``core/routes.py``
(each route's ``vipps`` path). Facts and their sources: docs/fidelity-vipps.md.
"""
