import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Written by hand: TypeORM does not track triggers. How many invitations each organisation has in
 * each status, kept by the database, so listInvitations' `paginate.total` is a sum of a few rows
 * instead of a count of the organisation's invitations. Statement-level triggers read the
 * transition tables once per statement (a bulk invite is one upsert of a few rows, not one per
 * invitation). Each backend adds into its own shard (`pg_backend_pid() % 8`), so concurrent
 * invites of one organisation do not queue on one row; a total is the sum of the shards.
 * ENABLE ALWAYS: the count stays true even where a bulk load sets session_replication_role.
 */
export class InvitationCounts1796460000000 implements MigrationInterface {
    name = 'InvitationCounts1796460000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TABLE "invitation_counts" (
                "organisation_id" uuid NOT NULL,
                "status" text NOT NULL,
                "shard" smallint NOT NULL,
                "n" bigint NOT NULL,
                PRIMARY KEY ("organisation_id", "status", "shard")
            )
        `);
        await queryRunner.query(`
            CREATE FUNCTION "invitation_counts_apply"() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'TRUNCATE' THEN
                    DELETE FROM invitation_counts;
                    RETURN NULL;
                END IF;
                -- Rows are upserted in key order, so two statements never wait on each other in a cycle.
                IF TG_OP = 'INSERT' THEN
                    INSERT INTO invitation_counts AS c (organisation_id, status, shard, n)
                    SELECT organisation_id, status, pg_backend_pid() % 8, count(*)
                      FROM new_rows GROUP BY organisation_id, status ORDER BY 1, 2
                    ON CONFLICT (organisation_id, status, shard) DO UPDATE SET n = c.n + EXCLUDED.n;
                ELSIF TG_OP = 'DELETE' THEN
                    INSERT INTO invitation_counts AS c (organisation_id, status, shard, n)
                    SELECT organisation_id, status, pg_backend_pid() % 8, -count(*)
                      FROM old_rows GROUP BY organisation_id, status ORDER BY 1, 2
                    ON CONFLICT (organisation_id, status, shard) DO UPDATE SET n = c.n + EXCLUDED.n;
                ELSE
                    -- Most updates (delivery bookkeeping) change no status: nothing is written.
                    INSERT INTO invitation_counts AS c (organisation_id, status, shard, n)
                    SELECT organisation_id, status, pg_backend_pid() % 8, sum(d)
                      FROM (SELECT organisation_id, status, 1 AS d FROM new_rows
                            UNION ALL
                            SELECT organisation_id, status, -1 FROM old_rows) AS changes
                     GROUP BY organisation_id, status HAVING sum(d) <> 0 ORDER BY 1, 2
                    ON CONFLICT (organisation_id, status, shard) DO UPDATE SET n = c.n + EXCLUDED.n;
                END IF;
                RETURN NULL;
            END $$
        `);
        await queryRunner.query(`
            CREATE TRIGGER "invitation_counts_insert" AFTER INSERT ON "invitations"
            REFERENCING NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION invitation_counts_apply()
        `);
        await queryRunner.query(`
            CREATE TRIGGER "invitation_counts_update" AFTER UPDATE ON "invitations"
            REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION invitation_counts_apply()
        `);
        await queryRunner.query(`
            CREATE TRIGGER "invitation_counts_delete" AFTER DELETE ON "invitations"
            REFERENCING OLD TABLE AS old_rows
            FOR EACH STATEMENT EXECUTE FUNCTION invitation_counts_apply()
        `);
        await queryRunner.query(`
            CREATE TRIGGER "invitation_counts_truncate" AFTER TRUNCATE ON "invitations"
            FOR EACH STATEMENT EXECUTE FUNCTION invitation_counts_apply()
        `);
        for (const trigger of ['insert', 'update', 'delete', 'truncate']) {
            await queryRunner.query(
                `ALTER TABLE "invitations" ENABLE ALWAYS TRIGGER "invitation_counts_${trigger}"`,
            );
        }
        // CREATE TRIGGER locked out writers until this transaction ends: no row is counted twice or missed.
        await queryRunner.query(`
            INSERT INTO "invitation_counts" (organisation_id, status, shard, n)
            SELECT organisation_id, status, 0, count(*) FROM "invitations"
             GROUP BY organisation_id, status
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        for (const trigger of ['insert', 'update', 'delete', 'truncate']) {
            await queryRunner.query(`DROP TRIGGER "invitation_counts_${trigger}" ON "invitations"`);
        }
        await queryRunner.query(`DROP FUNCTION "invitation_counts_apply"()`);
        await queryRunner.query(`DROP TABLE "invitation_counts"`);
    }

}
