"""Tools for people starting or measuring a package: `builder init` (infer, scaffold) and `builder synth` (synth, distinct)."""
