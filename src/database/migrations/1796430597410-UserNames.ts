import { MigrationInterface, QueryRunner } from "typeorm";

export class UserNames1796430597410 implements MigrationInterface {
    name = 'UserNames1796430597410'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "users"
            ADD "first_name" text
        `);
        await queryRunner.query(`
            ALTER TABLE "users"
            ADD "last_name" text
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "users" DROP COLUMN "last_name"
        `);
        await queryRunner.query(`
            ALTER TABLE "users" DROP COLUMN "first_name"
        `);
    }

}
