"""Tables of the publicservices context. Only this context's services write them; other
contexts read them through ``selectors`` and change them through ``services``.

Ids: UUIDv7 (``kernel.ids.uuid7``) for public ids, legal formats for legal codes; money
in integer đồng (``BigIntegerField``); text NFC; times in UTC.
"""
