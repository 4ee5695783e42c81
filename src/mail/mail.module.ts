import { Module } from '@nestjs/common';
import { MailerModule } from '@nestjs-modules/mailer';
import { AppConfig } from '../config/app-config.js';
import { mailerOptions } from './mailer.js';

/**
 * MailerService for the process, configured from AppConfig: SMTP or .eml files. It renders and
 * sends what a feature gives it and knows nothing of any feature; it closes the pooled connections
 * when the app shuts down.
 */
@Module({
  imports: [
    MailerModule.forRootAsync({ imports: [], inject: [AppConfig], useFactory: mailerOptions }),
  ],
})
export class MailModule {}
