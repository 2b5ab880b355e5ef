"""gunicorn settings for recovery-soap in production.

    gunicorn -c gunicorn.conf.py recovery_soap.app:application

They live in the package (recovery_soap/gunicorn_settings.py), where `recovery-soap serve
--workers N` finds them too; copy this file next to your deployment or point -c at it.
"""

from recovery_soap.gunicorn_settings import *  # noqa: F403
from recovery_soap.gunicorn_settings import child_exit, on_starting, post_worker_init  # noqa: F401
