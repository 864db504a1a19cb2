"""The package's own tests: the fixtures come from the installed plugin (its pytest11 entry
point), not from this file; pytester runs the plugin's options and markers in a sub-session."""

pytest_plugins = ["pytester"]
