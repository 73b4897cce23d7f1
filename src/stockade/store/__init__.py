"""Durable desired state: SQLite by default, PostgreSQL given a URL, through SQLAlchemy.

The service layer talks to the store only through :class:`~stockade.store.repository.Transaction`
(one per service call); see ``repository.py`` for the contract.
"""
