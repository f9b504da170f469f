"""The OpenID Connect provider of the identity context, built on django-oauth-toolkit.

Read in this order: ``scopes`` and ``claims`` (what a client can learn), ``keys``
(signing keys and the pairwise secret), ``validator`` and ``server`` (what is added to
DOT and oauthlib), ``assertions`` (private_key_jwt), ``services`` (clients, consents,
revocation, key rotation), ``views`` (endpoints and pages). Our own APIs accept its
bearer tokens through ``identity.api_auth``.
"""
