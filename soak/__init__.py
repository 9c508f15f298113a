"""Soak test: a real Home Assistant against the simulator, with random faults, for minutes.

`scripts/soak [--minutes 10] [--seed N]` (see `scripts/soak --help`). Not part of the test
suite. It starts `python -m simulator --scenario generated` (200 devices of 5 attributes) and
`python -m homeassistant` (the minimal configuration of tests/e2e/harness.py, run outside the
checkout) as processes on free loopback ports, onboards an owner, adds the project through the
config flow over REST and turns real-time updates on through the options flow (scan interval
10 s, the simulator's broker with the demo view key and secret). For --minutes it then ticks the
simulator every 5 s (plus a few online and alarm changes) and injects one fault episode after
the other in a seeded random order (`soak.faults`: 5xx, hangs under and over the client's 15 s
timeout, invalid JSON, result:false, expired tokens, 429 storms with and without Retry-After,
hostile values, devices deleted and added through the API, broker drops and refused logins).
It stops the faults, lets the integration settle and checks (`soak.checks`):

* log: Home Assistant's log is cut into stretches, one per episode (its size when the episode
  began), then settle, unload and shutdown; a warning or error of the integration's loggers, or
  naming it, whose template (ids, numbers, URLs and quoted text blanked) appears twice in one
  stretch fails; so does any traceback above DEBUG (except Home Assistant's own missing
  ffmpeg/turbojpeg/optional modules), a "still running"/lingering-task or unclosed-session
  message, a traceback in the simulator's output, and an exit code other than 0;
* states: once everything matches (after at least 30 s, at most --settle-seconds), every
  attribute, online and alarm entity and the project statistics against GET /_sim/state
  (numbers within half a unit of the display precision, or converted to the unit shown;
  booleans on/off), no entity or device of a deleted device, every device in the registry;
* memory: VmRSS of /proc/<pid>/status every 3 s during the faults phase; the least-squares
  trend over its second half (the first is warm-up) in MB/h must stay under --max-growth; the
  thirds' means, open fds and threads are shown too. The first round of episodes starts with
  the kinds that raise the high-water mark once (100,000 levels of nesting, big strings);
* unload: the entry is disabled over the websocket; then no API request, no broker connection,
  and no TCP socket of the Home Assistant process to the simulator's port (its fds matched with
  /proc/<pid>/net/tcp) after Home Assistant's HTTP keep-alive (35 s).

It prints a summary table and exits 1 when a check fails (2 when the run itself failed, 130 on
Ctrl-C or SIGTERM). Both processes are stopped (their process groups killed) in any case. The
work directory it prints keeps the logs and report.json (episodes, samples, outcomes).
"""
