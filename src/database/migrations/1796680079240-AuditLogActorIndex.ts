import { MigrationInterface, QueryRunner } from "typeorm";

export class AuditLogActorIndex1796680079240 implements MigrationInterface {
    name = 'AuditLogActorIndex1796680079240'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE INDEX "audit_log_org_actor_created_idx" ON "audit_log" (
                "organisation_id",
                "actor_id",
                "created_at",
                "id"
            )
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            DROP INDEX "public"."audit_log_org_actor_created_idx"
        `);
    }

}
