import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * GoRules' audit log entry: type, refId, data, ipAddress, userAgent. Generated, then completed by
 * hand with what TypeORM does not track:
 * - existing rows are carried over: every one is an invitation action, so type `user`, refId the
 *   invited user, and the address and invitation id move into data;
 * - a trigger refuses UPDATE, DELETE and TRUNCATE: entries are append-only, whoever connects;
 * - `audit_log_counts`, how many entries each organisation has by type and action, kept by an
 *   insert trigger, so listAuditLogs' exact total is a sum of a few rows rather than a count of the
 *   organisation's entries. Sharded by backend (`pg_backend_pid() % 8`) like invitation_counts, so
 *   concurrent writers of one organisation do not queue on one row.
 * Both triggers are ENABLE ALWAYS, so they hold even where session_replication_role is changed.
 */
export class AuditLogGoRules1796677770519 implements MigrationInterface {
    name = 'AuditLogGoRules1796677770519'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "audit_log"
            ADD "type" text
        `);
        await queryRunner.query(`
            ALTER TABLE "audit_log"
            ADD "ref_id" uuid
        `);
        await queryRunner.query(`
            ALTER TABLE "audit_log"
            ADD "data" jsonb NOT NULL DEFAULT '{}'
        `);
        await queryRunner.query(`
            ALTER TABLE "audit_log"
            ADD "ip_address" text
        `);
        await queryRunner.query(`
            ALTER TABLE "audit_log"
            ADD "user_agent" text
        `);
        await queryRunner.query(`
            UPDATE "audit_log" AS a
               SET "type" = 'user',
                   "ref_id" = (SELECT i.user_id FROM invitations i WHERE i.id = a.invitation_id),
                   "data" = jsonb_strip_nulls(jsonb_build_object(
                       'email', a.target_email, 'invitationId', a.invitation_id))
        `);
        await queryRunner.query(`
            ALTER TABLE "audit_log" ALTER COLUMN "type" SET NOT NULL
        `);
        await queryRunner.query(`
            ALTER TABLE "audit_log" DROP COLUMN "target_email"
        `);
        await queryRunner.query(`
            ALTER TABLE "audit_log" DROP COLUMN "invitation_id"
        `);

        await queryRunner.query(`
            CREATE FUNCTION "audit_log_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END $$
        `);
        await queryRunner.query(`
            CREATE TRIGGER "audit_log_append_only" BEFORE UPDATE OR DELETE OR TRUNCATE ON "audit_log"
            FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()
        `);
        await queryRunner.query(`
            ALTER TABLE "audit_log" ENABLE ALWAYS TRIGGER "audit_log_append_only"
        `);

        await queryRunner.query(`
            CREATE TABLE "audit_log_counts" (
                "organisation_id" uuid NOT NULL,
                "type" text NOT NULL,
                "action" text NOT NULL,
                "shard" smallint NOT NULL,
                "n" bigint NOT NULL,
                PRIMARY KEY ("organisation_id", "type", "action", "shard")
            )
        `);
        await queryRunner.query(`
            CREATE FUNCTION "audit_log_counts_apply"() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                -- Rows are upserted in key order, so two statements never wait on each other in a cycle.
                INSERT INTO audit_log_counts AS c (organisation_id, type, action, shard, n)
                SELECT organisation_id, type, action, pg_backend_pid() % 8, count(*)
                  FROM new_rows GROUP BY organisation_id, type, action ORDER BY 1, 2, 3
                ON CONFLICT (organisation_id, type, action, shard) DO UPDATE SET n = c.n + EXCLUDED.n;
                RETURN NULL;
            END $$
        `);
        await queryRunner.query(`
            CREATE TRIGGER "audit_log_counts_insert" AFTER INSERT ON "audit_log"
            REFERENCING NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION audit_log_counts_apply()
        `);
        await queryRunner.query(`
            ALTER TABLE "audit_log" ENABLE ALWAYS TRIGGER "audit_log_counts_insert"
        `);
        // CREATE TRIGGER locked out writers until this transaction ends: no row is counted twice or missed.
        await queryRunner.query(`
            INSERT INTO "audit_log_counts" (organisation_id, type, action, shard, n)
            SELECT organisation_id, type, action, 0, count(*) FROM "audit_log"
             GROUP BY organisation_id, type, action
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP TRIGGER "audit_log_counts_insert" ON "audit_log"`);
        await queryRunner.query(`DROP FUNCTION "audit_log_counts_apply"()`);
        await queryRunner.query(`DROP TABLE "audit_log_counts"`);
        await queryRunner.query(`DROP TRIGGER "audit_log_append_only" ON "audit_log"`);
        await queryRunner.query(`DROP FUNCTION "audit_log_append_only"()`);
        await queryRunner.query(`
            ALTER TABLE "audit_log"
            ADD "invitation_id" uuid
        `);
        await queryRunner.query(`
            ALTER TABLE "audit_log"
            ADD "target_email" text
        `);
        await queryRunner.query(`
            UPDATE "audit_log"
               SET "invitation_id" = ("data" ->> 'invitationId')::uuid,
                   "target_email" = "data" ->> 'email'
        `);
        await queryRunner.query(`
            ALTER TABLE "audit_log" DROP COLUMN "user_agent"
        `);
        await queryRunner.query(`
            ALTER TABLE "audit_log" DROP COLUMN "ip_address"
        `);
        await queryRunner.query(`
            ALTER TABLE "audit_log" DROP COLUMN "data"
        `);
        await queryRunner.query(`
            ALTER TABLE "audit_log" DROP COLUMN "ref_id"
        `);
        await queryRunner.query(`
            ALTER TABLE "audit_log" DROP COLUMN "type"
        `);
    }

}
