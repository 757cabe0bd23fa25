"""The architecture search: evolution (or random search) over the space
under cost constraints, its predictor, its job (the library call a hook
or benchmark makes) and what it writes."""
