"""stockade: AWS EC2 security groups, implemented for real.

Three faces on one semantics: an EC2-compatible API (``api/``), a Linux data plane
(``dataplane/``) and an analyzer (``policy/``, ``analysis/``). The semantics live in
``domain/`` (pure rules) and ``service/`` (use cases over the durable ``store/``).
"""

__version__ = "0.1.0"
