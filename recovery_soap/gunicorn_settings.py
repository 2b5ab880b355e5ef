"""gunicorn settings for recovery-soap in production, used by ``gunicorn -c gunicorn.conf.py``
(the file at the top of the repository imports this module) and by ``recovery-soap serve
--workers N``, so both run with the same timeouts, worker recycling and merged metrics.

Settings of the service itself come from RECOVERY_* variables (docs/configuration.md).

Where mail is delivered: not here. The workers only queue messages in the database; the outbox
is delivered by its own process, `recovery-soap outbox run` (deploy/systemd/
recovery-soap-outbox.service), started beside gunicorn. Any number of them may run, on this
machine or others: each claims its own messages under a short lease (outbox_lease_seconds,
default 30 s), so if one dies the others send its mail within the lease. Without one, mail waits
in the outbox. (`recovery-soap serve --workers N` instead runs one dispatcher in its master.)
"""

import gc
import multiprocessing
import os
import shutil
import sys
import tempfile
from typing import Any

from recovery_soap import logs
from recovery_soap.config import SettingsError, load_settings

try:
    _settings = load_settings()
except SettingsError as _error:
    sys.exit(f"recovery-soap: {_error}")

bind = os.environ.get("RECOVERY_BIND", "127.0.0.1:8000")
# Sync workers: each request is short and CPU-bound (XML, hashing); 2 per core plus one.
workers = int(os.environ.get("RECOVERY_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
timeout = 30
graceful_timeout = 20
keepalive = 5
max_requests = 20000
max_requests_jitter = 2000
limit_request_line = 8190
# Nothing is built at import time (the app builds itself per worker), so preloading is safe
# and saves memory.
preload_app = True
forwarded_allow_ips = os.environ.get("RECOVERY_FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
# No query string, no Authorization: the access log names the request, never a credential.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms rid=%({x-request-id}o)s'
errorlog = "-"
# gunicorn's own records (start, workers, access lines) in the service's log format, on the same
# stream as the service's: one format per process.
logconfig_dict = logs.gunicorn_logconfig(_settings.log_format, _settings.log_level)

# Prometheus metrics from every worker, merged at /metrics.
_metrics_dir = os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR", os.path.join(tempfile.gettempdir(), "recovery-soap-metrics")
)


def on_starting(server: Any) -> None:
    shutil.rmtree(_metrics_dir, ignore_errors=True)
    os.makedirs(_metrics_dir, exist_ok=True)


def post_worker_init(worker: Any) -> None:
    logs.configure(_settings.log_level, _settings.log_format)
    # Objects alive after start-up are permanent: keep them out of the collector's way
    # (this cut the p99 latency tail several-fold in measurements).
    gc.collect()
    gc.freeze()


def child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
