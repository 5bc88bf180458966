"""Site-independent machinery for archiving blog comment threads."""
