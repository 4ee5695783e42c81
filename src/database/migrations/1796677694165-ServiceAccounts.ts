import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Generated, then completed by hand with what TypeORM does not track (each statement says why):
 * the status check that gains `locked`, the copy of `users.is_service` into each membership, the
 * pg_trgm search index of listUsers, the case-insensitive unique role name, and `member_counts`,
 * the count of each organisation's members that listUsers' total reads (the pattern of
 * InvitationCounts: statement-level triggers over transition tables, one shard per backend, so
 * concurrent invites do not queue on one row; ENABLE ALWAYS, so a bulk load cannot skip it).
 */
export class ServiceAccounts1796677694165 implements MigrationInterface {
    name = 'ServiceAccounts1796677694165'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TABLE "roles" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "organisation_id" uuid NOT NULL,
                "name" text NOT NULL,
                "description" text,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "roles_org_id_key" UNIQUE ("organisation_id", "id"),
                CONSTRAINT "PK_c1433d71a4838793a49dcad46ab" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE TABLE "member_roles" (
                "organisation_id" uuid NOT NULL,
                "user_id" uuid NOT NULL,
                "role_id" uuid NOT NULL,
                CONSTRAINT "PK_277f792d185b587f5fa84ded88e" PRIMARY KEY ("organisation_id", "user_id", "role_id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "member_roles_role_idx" ON "member_roles" ("organisation_id", "role_id")
        `);
        await queryRunner.query(`
            ALTER TABLE "users"
            ADD "is_service" boolean NOT NULL DEFAULT false
        `);
        await queryRunner.query(`
            ALTER TABLE "organisation_members"
            ADD "is_service" boolean NOT NULL DEFAULT false
        `);
        await queryRunner.query(`
            CREATE INDEX "organisation_members_org_service_created_idx" ON "organisation_members" (
                "organisation_id",
                "is_service",
                "created_at",
                "user_id"
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "organisation_members_org_created_idx" ON "organisation_members" ("organisation_id", "created_at", "user_id")
        `);
        await queryRunner.query(`
            ALTER TABLE "roles"
            ADD CONSTRAINT "FK_19e50e41b606102c093a5667c5b" FOREIGN KEY ("organisation_id") REFERENCES "organisations"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "member_roles"
            ADD CONSTRAINT "FK_d12eded17befca2eeab799d8084" FOREIGN KEY ("organisation_id", "user_id") REFERENCES "organisation_members"("organisation_id", "user_id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "member_roles"
            ADD CONSTRAINT "FK_322b9095c4520b4c596e2104905" FOREIGN KEY ("role_id", "organisation_id") REFERENCES "roles"("id", "organisation_id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        // TypeORM compares checks by name only: the new allowed value needs the constraint redone.
        await queryRunner.query(`
            ALTER TABLE "organisation_members" DROP CONSTRAINT "organisation_members_status_check"
        `);
        await queryRunner.query(`
            ALTER TABLE "organisation_members" ADD CONSTRAINT "organisation_members_status_check"
            CHECK ("status" IN ('active', 'disabled', 'locked'))
        `);
        // A membership carries its user's kind, whoever inserts it (the service, the CLI, a seed).
        await queryRunner.query(`
            CREATE FUNCTION "organisation_members_copy_is_service"() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                NEW.is_service := (SELECT is_service FROM users WHERE id = NEW.user_id);
                RETURN NEW;
            END $$
        `);
        await queryRunner.query(`
            CREATE TRIGGER "organisation_members_copy_is_service" BEFORE INSERT ON "organisation_members"
            FOR EACH ROW EXECUTE FUNCTION organisation_members_copy_is_service()
        `);
        await queryRunner.query(`
            ALTER TABLE "organisation_members" ENABLE ALWAYS TRIGGER "organisation_members_copy_is_service"
        `);
        // Trusted since PostgreSQL 13: the database owner may create it without being a superuser.
        await queryRunner.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm`);
        // USER_SEARCH_SQL('users') in src/users/users.repository.ts: the three searchable fields,
        // lowercased, joined by a character a search can never hold (control characters are refused).
        await queryRunner.query(`
            CREATE INDEX "users_search_trgm_idx" ON "users" USING gin (
                lower(email || E'\\x01' || coalesce(first_name, '') || E'\\x01' || coalesce(last_name, ''))
                gin_trgm_ops
            )
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "roles_org_name_key" ON "roles" ("organisation_id", lower("name"))
        `);
        await queryRunner.query(`
            CREATE TABLE "member_counts" (
                "organisation_id" uuid NOT NULL,
                "is_service" boolean NOT NULL,
                "shard" smallint NOT NULL,
                "n" bigint NOT NULL,
                PRIMARY KEY ("organisation_id", "is_service", "shard")
            )
        `);
        await queryRunner.query(`
            CREATE FUNCTION "member_counts_apply"() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'TRUNCATE' THEN
                    DELETE FROM member_counts;
                    RETURN NULL;
                END IF;
                -- Rows are upserted in key order, so two statements never wait on each other in a cycle.
                IF TG_OP = 'INSERT' THEN
                    INSERT INTO member_counts AS c (organisation_id, is_service, shard, n)
                    SELECT organisation_id, is_service, pg_backend_pid() % 8, count(*)
                      FROM new_rows GROUP BY organisation_id, is_service ORDER BY 1, 2
                    ON CONFLICT (organisation_id, is_service, shard) DO UPDATE SET n = c.n + EXCLUDED.n;
                ELSIF TG_OP = 'DELETE' THEN
                    INSERT INTO member_counts AS c (organisation_id, is_service, shard, n)
                    SELECT organisation_id, is_service, pg_backend_pid() % 8, -count(*)
                      FROM old_rows GROUP BY organisation_id, is_service ORDER BY 1, 2
                    ON CONFLICT (organisation_id, is_service, shard) DO UPDATE SET n = c.n + EXCLUDED.n;
                ELSE
                    -- Most updates (type, status) move no row between counts: nothing is written.
                    INSERT INTO member_counts AS c (organisation_id, is_service, shard, n)
                    SELECT organisation_id, is_service, pg_backend_pid() % 8, sum(d)
                      FROM (SELECT organisation_id, is_service, 1 AS d FROM new_rows
                            UNION ALL
                            SELECT organisation_id, is_service, -1 FROM old_rows) AS changes
                     GROUP BY organisation_id, is_service HAVING sum(d) <> 0 ORDER BY 1, 2
                    ON CONFLICT (organisation_id, is_service, shard) DO UPDATE SET n = c.n + EXCLUDED.n;
                END IF;
                RETURN NULL;
            END $$
        `);
        await queryRunner.query(`
            CREATE TRIGGER "member_counts_insert" AFTER INSERT ON "organisation_members"
            REFERENCING NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION member_counts_apply()
        `);
        await queryRunner.query(`
            CREATE TRIGGER "member_counts_update" AFTER UPDATE ON "organisation_members"
            REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION member_counts_apply()
        `);
        await queryRunner.query(`
            CREATE TRIGGER "member_counts_delete" AFTER DELETE ON "organisation_members"
            REFERENCING OLD TABLE AS old_rows
            FOR EACH STATEMENT EXECUTE FUNCTION member_counts_apply()
        `);
        await queryRunner.query(`
            CREATE TRIGGER "member_counts_truncate" AFTER TRUNCATE ON "organisation_members"
            FOR EACH STATEMENT EXECUTE FUNCTION member_counts_apply()
        `);
        for (const trigger of ['insert', 'update', 'delete', 'truncate']) {
            await queryRunner.query(
                `ALTER TABLE "organisation_members" ENABLE ALWAYS TRIGGER "member_counts_${trigger}"`,
            );
        }
        // CREATE TRIGGER locked out writers until this transaction ends: no row is counted twice or missed.
        await queryRunner.query(`
            INSERT INTO "member_counts" (organisation_id, is_service, shard, n)
            SELECT organisation_id, is_service, 0, count(*) FROM "organisation_members"
             GROUP BY organisation_id, is_service
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        for (const trigger of ['insert', 'update', 'delete', 'truncate']) {
            await queryRunner.query(`DROP TRIGGER "member_counts_${trigger}" ON "organisation_members"`);
        }
        await queryRunner.query(`DROP FUNCTION "member_counts_apply"()`);
        await queryRunner.query(`DROP TABLE "member_counts"`);
        await queryRunner.query(`DROP INDEX "public"."roles_org_name_key"`);
        await queryRunner.query(`DROP INDEX "public"."users_search_trgm_idx"`);
        await queryRunner.query(
            `DROP TRIGGER "organisation_members_copy_is_service" ON "organisation_members"`,
        );
        await queryRunner.query(`DROP FUNCTION "organisation_members_copy_is_service"()`);
        await queryRunner.query(`
            ALTER TABLE "organisation_members" DROP CONSTRAINT "organisation_members_status_check"
        `);
        await queryRunner.query(`
            ALTER TABLE "organisation_members" ADD CONSTRAINT "organisation_members_status_check"
            CHECK ("status" IN ('active', 'disabled'))
        `);
        await queryRunner.query(`
            ALTER TABLE "member_roles" DROP CONSTRAINT "FK_322b9095c4520b4c596e2104905"
        `);
        await queryRunner.query(`
            ALTER TABLE "member_roles" DROP CONSTRAINT "FK_d12eded17befca2eeab799d8084"
        `);
        await queryRunner.query(`
            ALTER TABLE "roles" DROP CONSTRAINT "FK_19e50e41b606102c093a5667c5b"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."organisation_members_org_created_idx"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."organisation_members_org_service_created_idx"
        `);
        await queryRunner.query(`
            ALTER TABLE "organisation_members" DROP COLUMN "is_service"
        `);
        await queryRunner.query(`
            ALTER TABLE "users" DROP COLUMN "is_service"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."member_roles_role_idx"
        `);
        await queryRunner.query(`
            DROP TABLE "member_roles"
        `);
        await queryRunner.query(`
            DROP TABLE "roles"
        `);
    }

}
