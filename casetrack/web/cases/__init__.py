"""Case lists, the case page and everything a handler does on it, lex Sarah and lex Maria
(blueprints ``cases``, ``handling``, ``escalation``, ``lex_sarah``)."""
