/**
 * The baseline of the outbox-drain scenario: a bare nodemailer pooled transport sending COUNT
 * messages to the SMTP peer, CONCURRENCY at a time (the service's MAIL_WORKER_CONCURRENCY, which is
 * also its pool size). No queue, no database: the fastest this machine delivers these messages.
 * The message is the service's own rendered invitation email (MESSAGE_FILE), so sizes match.
 */
import { readFileSync } from 'node:fs';
import nodemailer from 'nodemailer';

interface Message {
  from: string;
  subject: string;
  html: string;
  text: string;
}

const count = Number(process.env.COUNT);
const concurrency = Number(process.env.CONCURRENCY);
const prefix = process.env.RECIPIENT_PREFIX ?? 'loop';
const message = JSON.parse(readFileSync(process.env.MESSAGE_FILE!, 'utf8')) as Message;
const transporter = nodemailer.createTransport({
  url: process.env.SMTP_URL,
  pool: true,
  maxConnections: concurrency,
});

let next = 0;
async function sender(): Promise<void> {
  while (next < count) {
    const i = next++;
    await transporter.sendMail({ ...message, to: `${prefix}-${i}@bench.test` });
  }
}

await Promise.all(Array.from({ length: concurrency }, () => sender()));
transporter.close();
// The bench reads this line: the process is gone before it could read /proc.
const cpu = process.cpuUsage();
console.log(`cpu-ms ${(cpu.user + cpu.system) / 1000}`);
