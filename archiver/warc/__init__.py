"""Raw pages: every request and answer of a run as WARC records, and runs answered from them."""
