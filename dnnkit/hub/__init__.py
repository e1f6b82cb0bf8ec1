"""The course server (`dnnkit hub`): settings, accounts, folders, each user's Jupyter settings and the hub's
configuration, one module each."""
