"""Pages and protocol endpoints of the smartcity context: the NGSI-LD API
(``views.ngsild``) is a protocol endpoint, a view by the project's rules."""
