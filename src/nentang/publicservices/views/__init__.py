"""HTML pages of the publicservices context: citizens' pages (``citizen``), officers'
pages (``officer``), what they show (``presenters``) and the navigation entries."""
