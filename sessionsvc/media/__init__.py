"""Media: ICE servers for the browsers, and aiortc peers on the server side (connection test,
synthetic participants for tests, benchmarks and ``sessionsvc probe``). Nothing is ever recorded."""
