import { MigrationInterface, QueryRunner } from "typeorm";

export class PersonalAccessTokens1796677897925 implements MigrationInterface {
    name = 'PersonalAccessTokens1796677897925'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TABLE "personal_access_tokens" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "organisation_id" uuid NOT NULL,
                "user_id" uuid NOT NULL,
                "note" text NOT NULL,
                "token_hash" text NOT NULL,
                "permissions" text array NOT NULL DEFAULT '{}',
                "all_projects" boolean NOT NULL,
                "projects" uuid array NOT NULL DEFAULT '{}',
                "expires_at" TIMESTAMP WITH TIME ZONE,
                "last_used_at" TIMESTAMP WITH TIME ZONE,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "personal_access_tokens_note_length_check" CHECK (
                    char_length("note") BETWEEN 1 AND 100
                ),
                CONSTRAINT "PK_b6dc462fa11dbbb897eb8419735" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "personal_access_tokens_owner_idx" ON "personal_access_tokens" ("organisation_id", "user_id", "created_at")
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "personal_access_tokens_token_hash_key" ON "personal_access_tokens" ("token_hash")
        `);
        await queryRunner.query(`
            ALTER TABLE "personal_access_tokens"
            ADD CONSTRAINT "FK_f3bdba6a1758a730aefad6204e4" FOREIGN KEY ("organisation_id", "user_id") REFERENCES "organisation_members"("organisation_id", "user_id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "personal_access_tokens" DROP CONSTRAINT "FK_f3bdba6a1758a730aefad6204e4"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."personal_access_tokens_token_hash_key"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."personal_access_tokens_owner_idx"
        `);
        await queryRunner.query(`
            DROP TABLE "personal_access_tokens"
        `);
    }

}
