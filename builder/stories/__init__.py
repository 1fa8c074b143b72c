"""The package stories: what is specific to one package's story, its extra rules, derived views and pages.

Each story is a module here that imports from the builder only the plugin API (builder/views/plugin.py);
a package names its story in datapackage.json and builder/package/story.py finds its module.
"""
