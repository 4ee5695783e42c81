import { MigrationInterface, QueryRunner } from "typeorm";

export class Initial1795660028275 implements MigrationInterface {
    name = 'Initial1795660028275'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TABLE "audit_log" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "organisation_id" uuid NOT NULL,
                "actor_id" uuid,
                "action" text NOT NULL,
                "target_email" text,
                "invitation_id" uuid,
                "request_id" text,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_07fefa57f7f5ab8fc3f52b3ed0b" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "audit_log_org_created_idx" ON "audit_log" ("organisation_id", "created_at", "id")
        `);
        await queryRunner.query(`
            CREATE TABLE "organisations" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "name" text NOT NULL,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_7bf54cba378d5b2f1d4c10ef4df" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE TABLE "users" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "email" text NOT NULL,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "users_email_lowercase_check" CHECK ("email" = lower("email")),
                CONSTRAINT "PK_a3ffb1c0c8416b9fc6f907b7433" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "users_email_key" ON "users" ("email")
        `);
        await queryRunner.query(`
            CREATE TABLE "invitations" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "organisation_id" uuid NOT NULL,
                "user_id" uuid NOT NULL,
                "email" text NOT NULL,
                "status" text NOT NULL DEFAULT 'pending',
                "token_hash" text,
                "invited_by" uuid,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "expires_at" TIMESTAMP WITH TIME ZONE,
                "accepted_at" TIMESTAMP WITH TIME ZONE,
                "revoked_at" TIMESTAMP WITH TIME ZONE,
                "last_sent_at" TIMESTAMP WITH TIME ZONE,
                "send_count" integer NOT NULL DEFAULT '0',
                "delivery_status" text,
                "delivery_error" text,
                "delivery_attempted_at" TIMESTAMP WITH TIME ZONE,
                CONSTRAINT "invitations_email_lowercase_check" CHECK ("email" = lower("email")),
                CONSTRAINT "invitations_delivery_status_check" CHECK (
                    "delivery_status" IS NULL
                    OR "delivery_status" IN ('queued', 'sent', 'failed')
                ),
                CONSTRAINT "invitations_status_check" CHECK (
                    "status" IN ('pending', 'accepted', 'revoked', 'expired')
                ),
                CONSTRAINT "PK_5dec98cfdfd562e4ad3648bbb07" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "invitations_user_id_idx" ON "invitations" ("user_id")
        `);
        await queryRunner.query(`
            CREATE INDEX "invitations_org_created_idx" ON "invitations" ("organisation_id", "created_at", "id")
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "invitations_token_hash_key" ON "invitations" ("token_hash")
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "invitations_one_pending_per_email" ON "invitations" ("organisation_id", "email")
            WHERE "status" = 'pending'
        `);
        await queryRunner.query(`
            CREATE TABLE "organisation_members" (
                "organisation_id" uuid NOT NULL,
                "user_id" uuid NOT NULL,
                "type" text NOT NULL,
                "status" text NOT NULL DEFAULT 'active',
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "organisation_members_status_check" CHECK ("status" IN ('active', 'disabled')),
                CONSTRAINT "organisation_members_type_check" CHECK (
                    "type" IN ('invited', 'member', 'author', 'admin', 'owner')
                ),
                CONSTRAINT "PK_3cc6551a3f80b7aca61439ac6a5" PRIMARY KEY ("organisation_id", "user_id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "organisation_members_user_id_idx" ON "organisation_members" ("user_id")
        `);
        await queryRunner.query(`
            ALTER TABLE "invitations"
            ADD CONSTRAINT "FK_db8eb6da8f383cb3443217d8536" FOREIGN KEY ("organisation_id") REFERENCES "organisations"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "invitations"
            ADD CONSTRAINT "FK_fecdffec754fa4d5cea98709776" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "organisation_members"
            ADD CONSTRAINT "FK_588fd3930af62ea399879e1d7ab" FOREIGN KEY ("organisation_id") REFERENCES "organisations"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "organisation_members"
            ADD CONSTRAINT "FK_6d808506119822a1e47422b512a" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "organisation_members" DROP CONSTRAINT "FK_6d808506119822a1e47422b512a"
        `);
        await queryRunner.query(`
            ALTER TABLE "organisation_members" DROP CONSTRAINT "FK_588fd3930af62ea399879e1d7ab"
        `);
        await queryRunner.query(`
            ALTER TABLE "invitations" DROP CONSTRAINT "FK_fecdffec754fa4d5cea98709776"
        `);
        await queryRunner.query(`
            ALTER TABLE "invitations" DROP CONSTRAINT "FK_db8eb6da8f383cb3443217d8536"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."organisation_members_user_id_idx"
        `);
        await queryRunner.query(`
            DROP TABLE "organisation_members"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."invitations_one_pending_per_email"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."invitations_token_hash_key"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."invitations_org_created_idx"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."invitations_user_id_idx"
        `);
        await queryRunner.query(`
            DROP TABLE "invitations"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."users_email_key"
        `);
        await queryRunner.query(`
            DROP TABLE "users"
        `);
        await queryRunner.query(`
            DROP TABLE "organisations"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."audit_log_org_created_idx"
        `);
        await queryRunner.query(`
            DROP TABLE "audit_log"
        `);
    }

}
