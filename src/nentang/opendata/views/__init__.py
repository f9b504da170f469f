"""The UI layer of the open-data context: CKAN's Action API (``ckan``), the pages for
citizens and publishers (``pages``) and the DCAT exports (``dcat``)."""
