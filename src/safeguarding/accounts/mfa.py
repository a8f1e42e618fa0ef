"""The second factor's pure parts: the authenticator app's QR code (an inline SVG made here, never
by an outside service), its secret as text, and the code a device shows now."""

from __future__ import annotations

import time
from base64 import b32encode

import segno
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

# The name the demo gives the devices it makes; `safeguarding totp` prints codes only for these.
DEMO_DEVICE_NAME = "Demo authenticator (safeguarding demo)"
APP_DEVICE_NAME = "Authenticator app"
BACKUP_DEVICE_NAME = "Backup codes"
BACKUP_CODE_COUNT = 10


def secret_text(device: TOTPDevice) -> str:
    """The secret in base32, in groups of four, for typing into an app that cannot scan."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// address as a QR code, as inline SVG markup with a text alternative."""
    return segno.make(device.config_url, error="m").svg_inline(
        scale=4, title="QR code to scan with your authenticator app", border=4, dark="#0b0c0c", light="#ffffff"
    )


def code_at(device: TOTPDevice, moment: float | None = None) -> str:
    """The six digits the device's app shows at a moment (now by default)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() if moment is None else moment
    return f"{totp.token():0{device.digits}d}"
