"""Mobile money and payments: the payments context of nentang.

Same shape as every context (docs/new-context.md): ``models`` (its tables only),
``services`` (writes), ``selectors`` (reads), ``api`` (ninja router), ``views`` and
``urls`` (HTML), ``tasks``, ``demo``, ``problems``, ``admin``, ``tests``.
"""
