"""DeePMD-kit entry point (group ``deepmd.dpmodel``, loaded when DeePMD-kit's
learning-rate module is imported): arraylr's types in its schedule registry and
its input schema."""

from .deepmd import register

register()
