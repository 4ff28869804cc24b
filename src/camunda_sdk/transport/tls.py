"""TLS: the context every sender uses, from the settings for custom CAs and mutual TLS.

The settings are core settings (:mod:`camunda_sdk.settings.core` declares them, so
they keep their place in the README's table); this module reads them.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Callable

import httpx

from ..errors import ConfigurationError
from ..settings import CamundaConfig
from ..settings.core import (
    CA_CERTIFICATE_PATH,
    MTLS_CA,
    MTLS_CERT,
    MTLS_CERT_PATH,
    MTLS_KEY,
    MTLS_KEY_PASSPHRASE,
    MTLS_KEY_PATH,
)

__all__ = ["client_context", "tls_context", "verify"]


def verify(config: CamundaConfig) -> ssl.SSLContext | bool:
    """What a sender verifies servers with: :func:`tls_context` when TLS is configured.

    ``True`` otherwise: certifi's CAs, or ``SSL_CERT_FILE``/``SSL_CERT_DIR`` (as httpx),
    made into a context by :func:`client_context` when the sender opens.
    """
    settings = (CA_CERTIFICATE_PATH, MTLS_CA, MTLS_CERT_PATH, MTLS_CERT)
    return tls_context(config) if any(setting.read(config) for setting in settings) else True


def client_context(verify: ssl.SSLContext | bool) -> ssl.SSLContext:
    """The ``ssl.SSLContext`` for a :func:`verify` value, made as httpx makes its own."""
    if isinstance(verify, ssl.SSLContext):
        return verify
    return httpx.create_ssl_context(verify=verify)


def tls_context(config: CamundaConfig) -> ssl.SSLContext:
    """The TLS context for custom CAs and/or a mutual-TLS client certificate.

    CAs come from ``CAMUNDA_CA_CERTIFICATE_PATH`` and the inline
    ``CAMUNDA_MTLS_CA`` (both are trusted); the client certificate and key from
    the inline ``CAMUNDA_MTLS_CERT``/``CAMUNDA_MTLS_KEY``, which win over their
    ``..._PATH`` variables, with ``CAMUNDA_MTLS_KEY_PASSPHRASE`` for an encrypted key.
    Built here rather than passing paths to httpx, which deprecated them; a bad
    file is a configuration error naming the variable, not an ``ssl`` traceback.
    """
    context = ssl.create_default_context()
    variable = CA_CERTIFICATE_PATH.key
    try:
        ca_path = CA_CERTIFICATE_PATH.read(config)
        if ca_path:
            variable = config.given_as(CA_CERTIFICATE_PATH) or variable
            context.load_verify_locations(cafile=ca_path)
        ca_pem = MTLS_CA.read(config)
        if ca_pem:
            variable = MTLS_CA.key
            context.load_verify_locations(cadata=ca_pem)
        cert_pem = MTLS_CERT.read(config)
        if cert_pem or MTLS_CERT_PATH.read(config):
            variable = MTLS_CERT.key if cert_pem else MTLS_CERT_PATH.key
            _load_client_certificate(context, config)
    except (OSError, ssl.SSLError) as exc:
        # "from None": the chained ssl traceback adds nothing to the message, and
        # a traceback printed with local variables must not show key material.
        raise ConfigurationError(
            f"{variable}: the certificate could not be loaded ({exc})", variable=variable
        ) from None
    return context


def _load_client_certificate(context: ssl.SSLContext, config: CamundaConfig) -> None:
    cert_pem, key_pem = MTLS_CERT.read(config), MTLS_KEY.read(config)
    cert_file = MTLS_CERT_PATH.read(config)
    key_file = None if key_pem else MTLS_KEY_PATH.read(config)
    # A callable, so that the passphrase is not an argument a traceback shows.
    passphrase = _passphrase(config) if MTLS_KEY_PASSPHRASE.read(config) else None
    if not (cert_pem or key_pem):
        context.load_cert_chain(cert_file or "", key_file, password=passphrase)
        return
    # ssl loads certificate chains from files only: write the inline PEM to a
    # file only this user can read (mkstemp creates it 0600), deleted at once.
    import tempfile

    written: list[str] = []
    try:
        for pem in (cert_pem, key_pem):
            if pem:
                fd, path = tempfile.mkstemp(prefix="camunda-mtls-", suffix=".pem")
                written.append(path)
                with os.fdopen(fd, "w", encoding="utf-8") as file:
                    file.write(pem)
        cert_path = written[0] if cert_pem else cert_file or ""
        key_path = written[-1] if key_pem else key_file
        context.load_cert_chain(cert_path, key_path, password=passphrase)
    finally:
        for path in written:
            os.unlink(path)


def _passphrase(config: CamundaConfig) -> Callable[[], str]:
    return lambda: MTLS_KEY_PASSPHRASE.read(config) or ""
