"""Pure AWS security-group semantics: frozen types, ids, validation rules, quotas, errors.

Nothing in this package does I/O; every other layer imports it.
"""
