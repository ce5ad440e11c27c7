"""``mock-bankid drill``: rehearse a relying party against every persona, scenario and trap.

The mock can fail in every way BankID does; the drill asks the other question, whether *a
relying party* reacts correctly. For each case of ``fixtures/drills.toml`` it arranges the mock
over its HTTP control surface (who signs in next, which scenario is on), opens the relying
party's sign-in URL with a fresh cookie jar, follows every redirect through the mock and back,
classifies where it ended (signed-in, refused, error, timeout), compares that with the case's
expectation and cleans the mock up again.

It knows nothing about the relying party beyond two URLs (where sign-in starts, where a
signed-in user lands), so it judges one it has never seen. It is a client of the mock like any
test suite, and imports nothing of the server: ``catalogue`` (cases and policy), ``mockapi``
(the control surface), ``follow`` (the headless browser: urllib and a cookie jar), ``browser``
(the same in Chromium, optional), ``run`` (arrange, follow, classify, judge, clean up) and
``report`` (table, JUnit XML, JSON).
"""
