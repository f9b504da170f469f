"""The log's origin, stored once; counters of committed entries, which only grow.

Existing installations: the origin is taken from the latest signed checkpoint (what
their published key is named today), and shard 0 starts at the number of entries
already recorded. The counters get the same guards as the tiles (only growth; no
DELETE, no TRUNCATE), on PostgreSQL and SQLite.
"""

from django.db import migrations, models

PG_GUARDS = """
CREATE OR REPLACE FUNCTION audit_counter_only_grows() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' OR TG_OP = 'TRUNCATE' THEN
        RAISE EXCEPTION 'nentang audit: % on audit_entrycounter is not allowed', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.shard <> OLD.shard OR NEW.entries < OLD.entries THEN
        RAISE EXCEPTION 'nentang audit: an entry counter may only grow'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_entrycounter_grows BEFORE UPDATE OR DELETE ON audit_entrycounter
    FOR EACH ROW EXECUTE FUNCTION audit_counter_only_grows();
CREATE TRIGGER audit_entrycounter_no_truncate BEFORE TRUNCATE ON audit_entrycounter
    FOR EACH STATEMENT EXECUTE FUNCTION audit_counter_only_grows();
"""

SQLITE_GUARDS = (
    "CREATE TRIGGER audit_entrycounter_no_delete BEFORE DELETE ON audit_entrycounter BEGIN "
    "SELECT RAISE(ABORT, 'nentang audit: DELETE on audit_entrycounter is not allowed'); END",
    "CREATE TRIGGER audit_entrycounter_grows BEFORE UPDATE ON audit_entrycounter "
    "WHEN NEW.shard <> OLD.shard OR NEW.entries < OLD.entries "
    "BEGIN SELECT RAISE(ABORT, 'nentang audit: an entry counter may only grow'); END",
)


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    with schema_editor.connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute(PG_GUARDS)
        elif vendor == "sqlite":
            for statement in SQLITE_GUARDS:
                cursor.execute(statement)


def remove(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    with schema_editor.connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute("DROP TRIGGER IF EXISTS audit_entrycounter_grows ON audit_entrycounter")
            cursor.execute(
                "DROP TRIGGER IF EXISTS audit_entrycounter_no_truncate ON audit_entrycounter"
            )
            cursor.execute("DROP FUNCTION IF EXISTS audit_counter_only_grows()")
        elif vendor == "sqlite":
            cursor.execute("DROP TRIGGER IF EXISTS audit_entrycounter_no_delete")
            cursor.execute("DROP TRIGGER IF EXISTS audit_entrycounter_grows")


def existing_log(apps, schema_editor):
    AuditEntry = apps.get_model("audit", "AuditEntry")
    Checkpoint = apps.get_model("audit", "Checkpoint")
    EntryCounter = apps.get_model("audit", "EntryCounter")
    TreeState = apps.get_model("audit", "TreeState")
    recorded = AuditEntry.objects.count()
    if recorded:
        EntryCounter.objects.create(shard=0, entries=recorded)
    latest = Checkpoint.objects.order_by("-id").values_list("note", flat=True).first()
    if latest:
        TreeState.objects.filter(id=1, origin="").update(origin=latest.split("\n", 1)[0])


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_security_defaults")]

    operations = [
        migrations.AddField(
            model_name="treestate",
            name="origin",
            field=models.CharField(blank=True, default="", max_length=255),
        ),
        migrations.CreateModel(
            name="EntryCounter",
            fields=[
                ("shard", models.PositiveSmallIntegerField(primary_key=True, serialize=False)),
                ("entries", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(existing_log, migrations.RunPython.noop),
        migrations.RunPython(install, remove),
    ]
