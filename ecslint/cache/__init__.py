"""The caching layer: the on-disk store, the result cache, the parse cache and the recorded
file-system reads they rely on."""
