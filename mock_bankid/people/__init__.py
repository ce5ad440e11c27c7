"""People: personas (fixtures, recipes, generated details) and the national identity number's rules."""
