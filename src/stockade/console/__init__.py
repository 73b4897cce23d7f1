"""The web console, ``stockade serve``'s ``/console``: see the network, ask why, watch packets.

Same process and same store as the EC2 API, and the same auth model: open on loopback by
default; with ``--auth``, a sign-in with an access key pair from the keys file. Pages are
server-side Jinja2 templates; interaction is htmx (vendored under ``static/vendor``, with
the other front-end libraries, so the console works offline with no build step). Every
change goes through the same service layer as the API (AWS's validation and error text)
and carries a CSRF token.

Layout: :mod:`.app` builds the Starlette app (routes of every page module, sessions);
:mod:`.session` signs in and out and checks CSRF; :mod:`.context` gives a page its scope,
services, snapshot and template rendering; :mod:`.pages` holds one module per page.
"""
