"""allauth's MFA adapter with our encryption at rest: TOTP secrets and recovery-code seeds are
stored as Fernet tokens like every other secret, and rotate with `rotate_encryption_keys`."""

from __future__ import annotations

from allauth.mfa.adapter import DefaultMFAAdapter

from jobcannon.core.crypto import decrypt_or_plain, encrypt_str


class EncryptingMFAAdapter(DefaultMFAAdapter):
    def encrypt(self, text: str) -> str:
        return encrypt_str(text)

    def decrypt(self, encrypted_text: str) -> str:
        # Authenticators created before this adapter hold plain text; they keep working and the
        # next key rotation encrypts them.
        return decrypt_or_plain(encrypted_text)
