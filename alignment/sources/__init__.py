"""Readers of upstream formats, one module per format.

Every reader (:class:`~alignment.sources.reader.Reader`) returns a
:class:`~alignment.sources.rows.SourceRows`: two polars DataFrames in the canonical layout, and
knows nothing about the store; the store knows these layouts and nothing about formats.
:mod:`~alignment.sources.registry` finds the reader of each file and reads them all.
"""
