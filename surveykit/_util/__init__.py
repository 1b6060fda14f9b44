"""Shared helpers with no statistics in them: argument checks, strict YAML, schema checks, atomic writes."""
