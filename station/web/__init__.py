"""The website: pages, maps and search as views of the built episodes; the security policy every page is
served with; the preview server; publishing site/ to a bucket."""
