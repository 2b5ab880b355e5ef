"""``recovery-soap serve``: the service on waitress, or on gunicorn with a dispatcher process."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
from typing import Any

from recovery_soap import logs
from recovery_soap.cli.common import (
    ENGINES,
    CommandError,
    open_env,
    settings_for,
    warn_unknown_variables,
)
from recovery_soap.cli.parser import Commands
from recovery_soap.config import Settings

DEMO_ACCOUNT = "demo"


def _ensure_first_account(env: Any) -> None:
    """On a database without service accounts, create a demo one and print its secret once."""
    from recovery_soap.core import admin, callers
    from recovery_soap.core.code_secrets import new_secret
    from recovery_soap.core.model import SUPER_TENANT

    with env.uow() as uow:
        if uow.accounts.count():
            return
        secret = new_secret()
        callers.put_account(
            env,
            uow,
            DEMO_ACCOUNT,
            secret,
            admin.tenant(uow, SUPER_TENANT),
            callers.ALL_PERMISSIONS,
        )
        uow.commit()
    logging.getLogger("recovery_soap").warning(
        "Created the service account '%s' with the password:\n\n    %s\n\n"
        "It is shown only this once. Callers use it with HTTP Basic authentication.",
        DEMO_ACCOUNT,
        secret,
    )


def _ensure_port_free(host: str, port: int) -> None:
    """Refuse a port that is taken before anything is announced or started (the servers would
    otherwise print their banner first and fail with a traceback)."""
    import errno
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise CommandError(f"cannot listen on {host}: {error.strerror}") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            reason = "is in use" if error.errno == errno.EADDRINUSE else f"fails: {error.strerror}"
            raise CommandError(
                f"port {port} on {host} {reason}: choose another with --port"
            ) from None


def cmd_serve(args: argparse.Namespace) -> int:
    settings = _with_public_url(settings_for(args), args.host, args.port)
    if args.dev:
        settings = settings.for_development()
    logs.configure(settings.log_level, settings.log_format)
    warn_unknown_variables()
    if args.dev:
        logging.getLogger("recovery_soap").warning(
            "DEVELOPMENT MODE (never in production): captcha off, mail printed here, "
            "service account %s",
            settings.bootstrap_account,
        )
    _ensure_port_free(args.host, args.port)
    if args.workers > 1:
        return _serve_gunicorn(settings, args)
    import waitress

    from recovery_soap.app import create_app

    app = create_app(settings)
    _ensure_first_account(app.env)
    app.dispatcher.start_background()
    logging.getLogger("recovery_soap").info(
        "Serving on http://%s:%s/services/UserInformationRecoveryService", args.host, args.port
    )
    if settings.pages:
        logging.getLogger("recovery_soap").info(
            "Self-service pages: http://%s:%s/accountrecoveryendpoint/recoverpassword.do",
            args.host,
            args.port,
        )
    # waitress strips X-Forwarded-* unless told to keep them; the app decides (trusted_proxies).
    waitress.serve(
        app,
        host=args.host,
        port=args.port,
        threads=args.threads,
        ident="recovery-soap",
        clear_untrusted_proxy_headers=not app.soap.proxies,
        # waitress reads a whole body before the application sees the request, up to 1 GiB by
        # default: refuse what no face accepts (the faces answer their own 413 up to the margin).
        max_request_body_size=max(settings.max_body_bytes, settings.rest_max_body_bytes) + 65536,
    )
    return 0


def _with_public_url(settings: Settings, host: str, port: int) -> Settings:
    """Mails link to the pages at the address served, unless public_url says otherwise (a
    wildcard address names no host a user can reach: set public_url then)."""
    if settings.public_url or not settings.pages or host in ("0.0.0.0", "::", ""):
        return settings
    shown = f"[{host}]" if ":" in host else host
    return settings.replace(public_url=f"http://{shown}:{port}")


def _serve_gunicorn(settings: Settings, args: argparse.Namespace) -> int:
    try:
        from gunicorn.app.base import BaseApplication
    except ImportError:
        raise CommandError("--workers needs gunicorn: pip install 'recovery-soap[serve]'") from None
    # First: it points the metrics at the directory the workers share before any are made.
    from recovery_soap import gunicorn_settings as production
    from recovery_soap.app import LazyApplication

    # Migrate and create accounts once, in the master, before any worker starts.
    env = open_env(settings)
    if settings.bootstrap_account:
        from recovery_soap.app import apply_bootstrap_account

        apply_bootstrap_account(env, settings.bootstrap_account)
    _ensure_first_account(env)
    worker_settings = settings.replace(bootstrap_account="")
    # The master forks workers all its life: it keeps no database connection open meanwhile.
    ENGINES.pop().dispose()

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            # The production settings (timeouts, recycling, merged metrics, log format), then
            # the command's own address and worker count.
            for key, value in vars(production).items():
                if key in self.cfg.settings and value is not None:
                    self.cfg.set(key, value)
            self.cfg.set("bind", f"{args.host}:{args.port}")
            self.cfg.set("workers", args.workers)

        def load(self) -> Any:
            # Built in each worker on its first request, never in the master: with preload_app
            # a master-built application would hand its database connections to every worker.
            return LazyApplication(worker_settings)

    dispatcher = _start_dispatcher_process(worker_settings)
    try:
        Server().run()
    finally:
        if dispatcher is not None:
            dispatcher.terminate()
            dispatcher.wait(timeout=30)
    return 0


def _start_dispatcher_process(settings: Settings) -> Any:
    """The outbox dispatcher beside gunicorn, as a process of its own: a thread in gunicorn's
    master would be forked into every worker mid-work (an SQLite lock held at a fork is held for
    ever in the child). It gets these very settings through its environment."""
    import os
    import subprocess

    from recovery_soap.config import ENV_PREFIX, FILE_SUFFIX

    if not (settings.smtp_host or settings.mail_transport == "console"):
        return None  # nothing can be delivered; mail waits in the outbox
    environment = {
        name: value
        for name, value in os.environ.items()
        if not (name.startswith(ENV_PREFIX) and name.endswith(FILE_SUFFIX))
    }
    for field in dataclasses.fields(settings):
        value = getattr(settings, field.name)
        text = str(value).lower() if isinstance(value, bool) else str(value)
        environment[ENV_PREFIX + field.name.upper()] = text
    environment.pop(ENV_PREFIX + "CONFIG", None)
    return subprocess.Popen(
        [sys.executable, "-m", "recovery_soap.cli", "outbox", "run"], env=environment
    )


def register(commands: Commands) -> None:
    serve = commands.command(
        "serve", cmd_serve, "serve the SOAP API (waitress; gunicorn with --workers)"
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)"
    )
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")
    serve.add_argument("--workers", type=int, default=1, help="processes (>1 uses gunicorn)")
    serve.add_argument(
        "--dev",
        action="store_true",
        help="try it on a laptop: captcha off, mail printed on the console, the service account "
        "demo:demo-secret-for-a-laptop (refused with production settings)",
    )
    serve.add_argument("--threads", type=int, default=8, help="threads of the single process")
    serve.add_argument(
        "--bootstrap-account",
        metavar="NAME:PASSWORD",
        help="create or reset this service account (every right, super tenant)",
    )
