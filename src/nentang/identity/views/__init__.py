"""The identity context's web pages: register, log in (password, second factor,
passkey), the account page and the officers' pages. Routed by ``identity/urls.py``.

Views parse, authorise, call the services and selectors of the identity context and
render the design system's partials.
"""
