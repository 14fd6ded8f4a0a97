"""Why a TLS check of the centre failed, in words an installer can act on.

requests wraps the ssl module's verdict several layers deep (SSLError → MaxRetryError → SSLError →
ssl.SSLCertVerificationError); the X.509 reason ("Missing Authority Key Identifier", "certificate has
expired", "unable to get local issuer certificate") is what tells a street whose own CA was made
without the extensions Python 3.13 requires from one whose kiosk lacks the CA bundle.
"""

from __future__ import annotations

import ssl

_HINTS = {
    "missing authority key identifier": "the street CA must be remade with key identifiers "
    "(docs/centre.md, deploy/street-ca.sh)",
    "ca cert does not include key usage extension": "the street CA must be remade with keyUsage "
    "(docs/centre.md, deploy/street-ca.sh)",
    "basic constraints of ca cert not marked critical": "the street CA must be remade with a critical "
    "basicConstraints (docs/centre.md, deploy/street-ca.sh)",
    "unable to get local issuer certificate": "set sync.ca_bundle to the street CA's certificate",
    "self-signed certificate": "set sync.ca_bundle to the street CA's certificate",
    "certificate has expired": "renew the centre's certificate",
    "hostname mismatch": "centre_url must use a name or IP listed in the certificate's subjectAltName",
    "ip address mismatch": "centre_url must use a name or IP listed in the certificate's subjectAltName",
}


def verification_error(exc: BaseException) -> ssl.SSLCertVerificationError | None:
    """The ssl module's certificate verdict inside ``exc``'s chain of causes, if any."""
    seen: set[int] = set()
    todo: list[object] = [exc]
    while todo:
        e = todo.pop()
        if not isinstance(e, BaseException) or id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, ssl.SSLCertVerificationError):
            return e
        todo.extend([getattr(e, "reason", None), e.__cause__, e.__context__, *e.args])
    return None


def describe_tls_failure(exc: BaseException) -> str:
    """ "the centre's certificate was refused: X.509 <reason> — <what to do>" or the plain error."""
    found = verification_error(exc)
    if found is None:
        return f"TLS with the centre failed: {exc}"
    reason = found.verify_message or found.reason or str(found)
    hint = next((h for key, h in _HINTS.items() if key in str(reason).lower()), "check sync.ca_bundle")
    return f"the centre's certificate was refused: X.509 {reason} (code {found.verify_code}) — {hint}"
