"""Database-level guards: audit entries, leaves and checkpoints are append-only; tiles
may only grow (a wider version whose hashes start with the old ones).

PostgreSQL (required by the audit issue) and SQLite both get triggers, so no code path
and no stray SQL statement can rewrite history. Tests that tamper on purpose turn them
off explicitly (``session_replication_role = replica`` on PostgreSQL).
"""

from django.db import migrations

APPEND_ONLY = ("audit_auditentry", "audit_logleaf", "audit_checkpoint")

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'nentang audit: % on % is not allowed (append-only)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION audit_tile_only_grows() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'nentang audit: DELETE on audit_tile is not allowed'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.level <> OLD.level OR NEW.index <> OLD.index OR NEW.width < OLD.width
       OR substring(NEW.hashes from 1 for length(OLD.hashes)) <> OLD.hashes THEN
        RAISE EXCEPTION 'nentang audit: a tile may only grow'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""


def install(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            cursor.execute(PG_FUNCTION)
            for table in APPEND_ONLY:
                cursor.execute(
                    f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                    "FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()"
                )
            cursor.execute(
                "CREATE TRIGGER audit_tile_grows BEFORE UPDATE OR DELETE ON audit_tile "
                "FOR EACH ROW EXECUTE FUNCTION audit_tile_only_grows()"
            )
            # TRUNCATE bypasses row triggers: refuse it too.
            for table in (*APPEND_ONLY, "audit_tile"):
                cursor.execute(
                    f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                    "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()"
                )
        elif schema_editor.connection.vendor == "sqlite":
            for table in APPEND_ONLY:
                for operation in ("UPDATE", "DELETE"):
                    cursor.execute(
                        f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} "
                        f"ON {table} BEGIN SELECT RAISE(ABORT, "
                        f"'nentang audit: {operation} on {table} is not allowed (append-only)'); "
                        "END"
                    )
            cursor.execute(
                "CREATE TRIGGER audit_tile_no_delete BEFORE DELETE ON audit_tile BEGIN "
                "SELECT RAISE(ABORT, 'nentang audit: DELETE on audit_tile is not allowed'); END"
            )
            cursor.execute(
                "CREATE TRIGGER audit_tile_grows BEFORE UPDATE ON audit_tile "
                "WHEN NEW.level <> OLD.level OR NEW.\"index\" <> OLD.\"index\" "
                "OR NEW.width < OLD.width "
                "OR substr(NEW.hashes, 1, length(OLD.hashes)) <> OLD.hashes "
                "BEGIN SELECT RAISE(ABORT, 'nentang audit: a tile may only grow'); END"
            )


def remove(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            for table in APPEND_ONLY:
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            for table in (*APPEND_ONLY, "audit_tile"):
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
            cursor.execute("DROP TRIGGER IF EXISTS audit_tile_grows ON audit_tile")
            cursor.execute("DROP FUNCTION IF EXISTS audit_refuse_change()")
            cursor.execute("DROP FUNCTION IF EXISTS audit_tile_only_grows()")
        elif schema_editor.connection.vendor == "sqlite":
            for table in APPEND_ONLY:
                for operation in ("update", "delete"):
                    cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_{operation}")
            cursor.execute("DROP TRIGGER IF EXISTS audit_tile_no_delete")
            cursor.execute("DROP TRIGGER IF EXISTS audit_tile_grows")


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(install, remove)]
