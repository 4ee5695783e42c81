import { MigrationInterface, QueryRunner } from "typeorm";

export class MailDelivery1795660794544 implements MigrationInterface {
    name = 'MailDelivery1795660794544'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "invitations"
            ADD "delivery_lease_until" TIMESTAMP WITH TIME ZONE
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "invitations" DROP COLUMN "delivery_lease_until"
        `);
    }

}
