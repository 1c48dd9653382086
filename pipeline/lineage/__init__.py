"""Model lineage: parent edges from every channel the listing gives, their resolution to canonical
ids, the ancestry walk, families and license inheritance (see docs/LINEAGE.md)."""
