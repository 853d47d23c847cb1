"""The class board: one web page where a room's experiments meet.

An instructor runs ``nnworkshop board serve``; learners' dashboards send their finished runs
to it (``ExperimentDashboard(board=URL, token=T, name=...)``); the page shows every run live.

- ``schema.py``  what a run looks like on the wire, and the checks every posted run passes
- ``store.py``   where runs are kept: a SQLite file, or PostgreSQL for a hub with many servers
- ``app.py``     the web service (Starlette): the JSON API, the tokens, the page
- ``page.html``  the board page itself (inline SVG, no CDN: it works offline)
- ``client.py``  what a dashboard uses to send a run (standard library only)
- ``cli.py``     ``nnworkshop board serve`` and ``nnworkshop board measure``
- ``measure.py`` a room flat out: posts per second, post-to-page latency, a SIGKILL, server memory
- ``limits.py``  per-learner rate limits (a token bucket per name)
- ``check.py``   runs the board checked itself: posted weights scored in NumPy on digits the learner never had

Nothing here imports torch.
"""
