"""The podcast feeds: RSS with the iTunes and Podcasting 2.0 namespaces, as views of the built episodes."""
