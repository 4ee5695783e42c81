import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import nodemailer from 'nodemailer';
import { EmlFileTransport } from './eml-file.transport.js';

describe('EmlFileTransport', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'brms-mail-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes each message as an .eml file and logs the recipient and the path, not the body', async () => {
    const lines: string[] = [];
    const transporter = nodemailer.createTransport(
      new EmlFileTransport(join(dir, 'mail'), { log: (line: string) => lines.push(line) }),
    );
    const link = 'http://localhost:3000/confirm?token=secret-token';
    const info = await transporter.sendMail({
      from: 'BRMS <no-reply@localhost>',
      to: 'invitee@example.com',
      subject: 'Welcome to Acme',
      text: `Accept: ${link}`,
      html: `<a href="${link}">Accept</a>`,
    });

    expect(readdirSync(join(dir, 'mail'))).toHaveLength(1);
    expect(info.path).toMatch(/\.eml$/);
    const parsed = await simpleParser(readFileSync(info.path));
    expect(parsed.subject).toBe('Welcome to Acme');
    expect(parsed.text).toContain(link);
    expect(parsed.html).toContain(link);

    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('invitee@example.com');
    expect(lines[0]).toContain(info.path.split('/').pop());
    expect(lines[0]).not.toContain('secret-token');

    await transporter.sendMail({ from: 'a@b.c', to: 'second@example.com', text: 'x' });
    expect(readdirSync(join(dir, 'mail'))).toHaveLength(2);
  });
});
