"""Tooling for developing and testing the app, not part of what a brand ships: the
development server, a local stack (sandbox + web app), the browser helpers the end-to-end
suite, screenshots and benchmarks share, the demo launcher and the htmx fetcher."""
