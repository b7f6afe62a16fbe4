"""DeePMD-kit entry point (group ``deepmd.backend``, loaded by every ``dp``
command): arraylr's types in the ``learning_rate`` input schema."""

from .deepmd import register_schema

register_schema()
