"""Settings, URLs and WSGI entry points of the three sites."""
