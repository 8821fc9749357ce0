# syntax=docker/dockerfile:1
# didstore: the API server (default) or, with the command `worker`, the background jobs.
# Build:  docker build -t didstore .
# Run:    docker run -d -p 127.0.0.1:8080:8080 -v didstore-data:/var/lib/didstore didstore
# With PostgreSQL and a worker: compose.yaml. Guide: docs/deployment.md.

# Debian 12 (bookworm) in both stages: the virtual environment built in the first one runs
# on the same Python in the second, and `didstore db backup` finds Debian 12's pg_dump (15).
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/didstore
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY src ./src
RUN /opt/didstore/bin/pip install . \
 && /opt/didstore/bin/didstore --help >/dev/null

FROM ${PYTHON_IMAGE}
# postgresql-client: pg_dump/pg_restore for `didstore db backup|restore` on PostgreSQL
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 didstore \
 && useradd --system --uid 10001 --gid didstore --home-dir /var/lib/didstore \
      --shell /usr/sbin/nologin didstore \
 && install -d -o didstore -g didstore -m 0750 /var/lib/didstore
COPY --from=build /opt/didstore /opt/didstore
COPY LICENSE /usr/share/doc/didstore/LICENSE
ENV PATH=/opt/didstore/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DIDSTORE_DATABASE_URL=sqlite:////var/lib/didstore/didstore.sqlite3 \
    DIDSTORE_PORT=8080
# The SQLite database (the default) lives here; with PostgreSQL nothing is written to it.
VOLUME ["/var/lib/didstore"]
WORKDIR /var/lib/didstore
USER 10001:10001
EXPOSE 8080
# 200 once migrations ran and the server is ready. No curl in the slim image: Python asks.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('DIDSTORE_PORT', '8080'), timeout=4)"]
ENTRYPOINT ["didstore"]
CMD ["serve", "--host", "0.0.0.0"]
