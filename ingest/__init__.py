"""Read posts and digests from the formats people have, normalise them, and write them to the index."""
