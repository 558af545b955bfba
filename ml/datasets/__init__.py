"""Micro-expression datasets: real corpora (CASME II, SAMM, SMIC, MMEW, CAS(ME)^2/^3, MEGC2019 composite)
and the seeded synthetic generator, all mapped onto one schema, :class:`ml.datasets.schema.ClipRecord`."""

from ml.datasets.schema import ClipRecord

__all__ = ["ClipRecord"]
