"""Real server processes and Redis servers for the tests, the benches and the load tester.

Not part of the production wheel (pyproject excludes it): it runs from a checkout. Everything that starts
a Råderum server goes through `ServerProcess`, which runs `python -m testsupport.serve`, and that builds
uvicorn's options with the same function as `raaderum serve` (`server.serving.uvicorn_options`).
"""
