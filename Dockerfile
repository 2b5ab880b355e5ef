# recovery-soap container image.
#
#   podman build -t recovery-soap .            (or docker build)
#   podman run -p 8000:8000 -e RECOVERY_DATABASE_URL=postgresql+psycopg://... recovery-soap
#
# BASE is any Debian-like image with Python >= 3.11 and its venv module. The default is the
# official slim Python image; an image imported from Debian's own packages works too
# (docs/deployment.md shows how, for machines without a registry).
ARG BASE=docker.io/library/python:3.11-slim-bookworm

FROM ${BASE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY setup.cfg pyproject.toml README.md ./
COPY recovery_soap ./recovery_soap
RUN python3 -m venv /opt/recovery-soap \
 && /opt/recovery-soap/bin/pip install --upgrade pip \
 && /opt/recovery-soap/bin/pip install '.[serve,postgres]' \
 && find /opt/recovery-soap -name '__pycache__' -prune -exec rm -rf {} +

FROM ${BASE}
# The service runs as an unprivileged user that owns nothing but its state directory.
RUN (getent passwd recovery >/dev/null || useradd --uid 10001 --user-group \
        --home-dir /var/lib/recovery-soap --create-home --shell /usr/sbin/nologin recovery) \
 && mkdir -p /etc/recovery-soap
COPY --from=build /opt/recovery-soap /opt/recovery-soap
COPY gunicorn.conf.py /etc/recovery-soap/gunicorn.conf.py
ENV PATH=/opt/recovery-soap/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    RECOVERY_BIND=0.0.0.0:8000 \
    RECOVERY_LOG_FORMAT=json \
    PROMETHEUS_MULTIPROC_DIR=/tmp/recovery-soap-metrics
USER 10001:10001
WORKDIR /var/lib/recovery-soap
EXPOSE 8000
# The check asks the port the service binds (RECOVERY_BIND), on loopback.
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["python3", "-c", "import os, urllib.request; port = os.environ.get('RECOVERY_BIND', ':8000').rpartition(':')[2]; urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=2)"]
# The schema is created by a one-shot `recovery-soap db upgrade` (compose: the migrate service;
# Kubernetes: the migration Job) before the service starts.
CMD ["gunicorn", "-c", "/etc/recovery-soap/gunicorn.conf.py", "recovery_soap.app:application"]
