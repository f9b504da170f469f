"""The NGSI-LD engine of the smartcity context (ETSI GS CIM 009): JSON-LD contexts,
payload normalisation, the ``q`` language, geo-queries and the error shapes. Pure
functions over plain JSON values; the tables are in ``models`` and the writes in
``services``."""
