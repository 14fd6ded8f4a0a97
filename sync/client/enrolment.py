"""Exchange the one-time token from ``street-centre enrol`` for this kiosk's key (done once, by staff)."""

from __future__ import annotations

import requests

from sync import signing
from sync.client.session import SyncError, make_session
from sync.client.settings import SyncSettings
from sync.client.tls import describe_tls_failure


def enrol_kiosk(
    settings: SyncSettings, token: str, session: requests.Session | None = None
) -> signing.KioskKey:
    """Send the token, save the key to ``settings.key_file`` (mode 0600) and return it."""
    session = session or make_session(settings)
    try:
        resp = session.post(
            settings.base_url + "/v1/enrol",
            json={"kiosk_id": settings.kiosk_id, "token": token.strip()},
            timeout=(settings.connect_timeout, settings.timeout),
            verify=session.verify,  # not REQUESTS_CA_BUNDLE from the environment
        )
    except requests.exceptions.SSLError as exc:
        raise SyncError("tls", describe_tls_failure(exc), retryable=False) from exc
    except requests.RequestException as exc:
        raise SyncError("unreachable", f"cannot reach the centre: {exc}") from exc
    if resp.status_code != 200:
        raise SyncError(
            "enrol_refused",
            f"the centre refused the token (HTTP {resp.status_code}): it is unknown, used, expired or "
            "for another kiosk. Ask the street centre for a new token (street-centre rotate).",
            retryable=False,
        )
    key = signing.KioskKey.from_json(resp.json()["secret"])
    if key.kiosk_id != settings.kiosk_id or key.hall_id != settings.hall_id:
        raise SyncError(
            "enrol_mismatch", f"the token is for kiosk {key.kiosk_id} / hall {key.hall_id}", retryable=False
        )
    key.save(settings.key_file)
    return key


def main(argv: list[str] | None = None) -> int:
    """``python -m sync.client.enrolment --centre-url … --kiosk … --hall … --token …`` on the kiosk."""
    import argparse
    from pathlib import Path

    p = argparse.ArgumentParser(prog="python -m sync.client.enrolment", description=main.__doc__)
    p.add_argument("--centre-url", required=True)
    p.add_argument("--kiosk", required=True)
    p.add_argument("--hall", required=True)
    p.add_argument("--token", required=True, help="the one-time token printed by street-centre enrol")
    p.add_argument("--key-file", default="var/sync-key.json")
    p.add_argument("--ca-bundle", help="PEM of the CA that signed the centre's certificate")
    args = p.parse_args(argv)
    settings = SyncSettings(
        enabled=True,
        centre_url=args.centre_url,
        kiosk_id=args.kiosk,
        hall_id=args.hall,
        key_file=Path(args.key_file),
        ca_bundle=Path(args.ca_bundle) if args.ca_bundle else None,
    )
    try:
        key = enrol_kiosk(settings, args.token)
    except SyncError as exc:
        print(f"error: {exc.message}")
        return 2
    print(
        f"enrolled: kiosk {key.kiosk_id}, hall {key.hall_id}, key {key.key_id} saved to {settings.key_file}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
