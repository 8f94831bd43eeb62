"""Pure optimisation and analysis engines: plain objects in, plain objects out."""
