"""The identity context's web pages: register, log in (password, second factor,
passkey), the account page and the officers' pages. Mounted by ``config/urls.py``.

Views parse, authorise, call the services of ``nentang.identity.services`` (and the
passkey and TOTP services of this package) and render the design system's partials.
"""
