"""The weight search: where each layer of the found arch takes its starting
weights from, searched greedily or by evolution, and its job."""
