"""Re-encrypt every encrypted column with the newest key in FIELD_ENCRYPTION_KEYS.

Key rotation (docs/deployment.md): put the new key first (`new,old`), deploy, run this, then
drop the old key. It runs while the site serves traffic: MultiFernet decrypts with any
configured key, rows are rewritten in small batches (one short transaction each), and a row the
application changed in the meantime is left as the application wrote it (already under the new
key). Safe to interrupt and run again: rows already under the newest key are skipped."""

from django.core.management.base import BaseCommand, CommandError

from jobcannon.audit.services import audit_record
from jobcannon.core.crypto import encryption_keys_rotate


class Command(BaseCommand):
    help = "Re-encrypt encrypted fields (and MFA secrets) with the first key of FIELD_ENCRYPTION_KEYS."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=200, help="Rows per transaction (default 200).")
        parser.add_argument("--dry-run", action="store_true", help="Count what would change; write nothing.")
        parser.add_argument("--model", default=None, help="Only this model label, e.g. integrations.Token.")

    def handle(self, *args, batch_size: int, dry_run: bool, model: str | None, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        report = encryption_keys_rotate(batch_size=batch_size, dry_run=dry_run, only=model)
        verb = "would be re-encrypted" if dry_run else "re-encrypted"
        for item in report:
            self.stdout.write(
                f"{item.label}: {item.rotated} row(s) {verb} of {item.scanned} ({', '.join(item.columns)})"
                + (f", {item.failed} undecryptable" if item.failed else "")
            )
        failed = sum(item.failed for item in report)
        total = sum(item.rotated for item in report)
        if failed:
            raise CommandError(
                f"{failed} row(s) could not be decrypted with any configured key (see the log for their "
                "ids): keep the old keys until they are fixed."
            )
        if dry_run:
            self.stdout.write(f"Dry run: {total} row(s) would change.")
            return
        audit_record(
            action="encryption_keys.rotated",
            message=f"Encrypted columns re-encrypted with the newest key: {total} row(s).",
            actor_label="staff (manage.py)",
            data={"rows": total, "models": {i.label: i.rotated for i in report}},
        )
        self.stdout.write(f"Done: {total} row(s). You can now remove the old key from FIELD_ENCRYPTION_KEYS.")
