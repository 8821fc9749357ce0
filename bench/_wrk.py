"""wrk runs for the side-by-side benchmark: one Lua script per run, one parsed result.

Every run uses a Lua script whose ``done`` callback prints one machine-readable line
(``SBS-RESULT {...}``: requests, duration, non-2xx and socket errors, latency percentiles in
microseconds), so nothing depends on the layout of wrk's human summary.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

MARKER = "SBS-RESULT "

_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '%s{"requests": %d, "duration_us": %d, "non2xx": %d, "socket_errors": %d,'
    .. ' "p50_us": %d, "p99_us": %d, "max_us": %d}\\n',
    "SBS-RESULT ", summary.requests, summary.duration, e.status,
    e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""


def _lua_string(value: str) -> str:
    return json.dumps(value)  # a JSON string of ASCII text is a valid Lua string literal


@dataclass(frozen=True)
class Load:
    """What one wrk run sends. ``paths`` and ``credentials`` are cycled, one step per
    request; ``bodies`` (JSON texts), when given, are used once each (a purchase buys each
    number once; past the end the script repeats the last, which then fails as a non-2xx)."""

    method: str
    paths: Sequence[str]
    credentials: Sequence[tuple[str, str]] = ()
    bodies: Sequence[str] = ()

    def lua(self) -> str:
        lines = []
        if len(self.paths) == 1 and len(self.credentials) <= 1 and not self.bodies:
            # One fixed request: wrk builds it once (the cheapest client side).
            lines.append(f"wrk.method = {_lua_string(self.method)}")
            lines.append(f"wrk.path = {_lua_string(self.paths[0])}")
            for auth_id, token in self.credentials:
                lines.append(f'wrk.headers["X-Auth-ID"] = {_lua_string(auth_id)}')
                lines.append(f'wrk.headers["X-Auth-Token"] = {_lua_string(token)}')
            return "\n".join(lines) + "\n" + _DONE
        creds = ", ".join(f"{{{_lua_string(a)}, {_lua_string(t)}}}" for a, t in self.credentials)
        lines.append(f"local creds = {{{creds}}}")
        lines.append("local paths = {" + ", ".join(_lua_string(p) for p in self.paths) + "}")
        lines.append("local bodies = {" + ", ".join(_lua_string(b) for b in self.bodies) + "}")
        lines.append(f"local method = {_lua_string(self.method)}")
        lines.append(
            """local n = 0
request = function()
  n = n + 1
  local headers = {}
  if #creds > 0 then
    local c = creds[(n - 1) % #creds + 1]
    headers["X-Auth-ID"] = c[1]
    headers["X-Auth-Token"] = c[2]
  end
  local path = paths[(n - 1) % #paths + 1]
  if #creds > 0 then path = string.gsub(path, "{auth_id}", headers["X-Auth-ID"]) end
  local body = nil
  if #bodies > 0 then
    body = bodies[math.min(n, #bodies)]
    headers["Content-Type"] = "application/json"
  end
  return wrk.format(method, path, headers, body)
end"""
        )
        return "\n".join(lines) + "\n" + _DONE


@dataclass(frozen=True)
class Result:
    requests: int
    seconds: float
    non2xx: int
    socket_errors: int
    p50_ms: float
    p99_ms: float
    max_ms: float

    @property
    def ok_per_second(self) -> float:
        """Successful (2xx) responses per second: errors never count as throughput."""
        return (self.requests - self.non2xx) / self.seconds if self.seconds else 0.0


def parse(output: str) -> Result:
    """The ``SBS-RESULT`` line of a wrk run's standard output."""
    match = re.search(rf"^{MARKER}(\{{.*\}})\s*$", output, re.M)
    if match is None:
        raise ValueError(f"no {MARKER.strip()} line in wrk output:\n{output}")
    raw = json.loads(match.group(1))
    return Result(
        requests=int(raw["requests"]),
        seconds=raw["duration_us"] / 1e6,
        non2xx=int(raw["non2xx"]),
        socket_errors=int(raw["socket_errors"]),
        p50_ms=raw["p50_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
    )


def run(
    base_url: str,
    load: Load,
    *,
    seconds: int,
    connections: int,
    cpu: int | None,
    workdir: Path,
) -> Result:
    """One wrk run (one thread, ``connections`` connections) pinned to ``cpu`` if given."""
    script = workdir / "load.lua"
    script.write_text(load.lua())
    cmd = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        base_url,
    ]
    if cpu is not None and shutil.which("taskset"):
        cmd = ["taskset", "-c", str(cpu), *cmd]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=seconds + 60)
    return parse(done.stdout)
