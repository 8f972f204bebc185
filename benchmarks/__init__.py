"""bmkg's benchmark harness: build, query and load figures against peer engines (see BENCHMARKS.md)."""
