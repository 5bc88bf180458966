"""The SQLite archive: schema migrations, the writer, the spider's reads, search indexing."""
