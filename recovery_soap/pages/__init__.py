"""The self-service web pages at the legacy account-recovery paths (``/accountrecoveryendpoint/``):
sign-up and its confirmation, forgotten password, forgotten user name.

Server-rendered, no script; each page calls the core use cases directly, as a caller bound to
the page's tenant. Loaded on the first page request only (see ``RecoveryApp.pages``).
"""
