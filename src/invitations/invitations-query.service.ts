import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { Clock } from '../common/clock.js';
import { decodeCursor, encodeCursor } from '../common/cursor.js';
import type { DeliveryStatus, InvitationStatus } from './invitation.entity.js';
import type { ListStatus } from './dto/invitation-list.dto.js';

export interface InvitationListRow {
  id: string;
  email: string;
  status: InvitationStatus;
  user_id: string;
  created_at: Date;
  created_key: string;
  expires_at: Date | null;
  delivery_status: DeliveryStatus | null;
  last_sent_at: Date | null;
  invited_by: string | null;
  accepted_at: Date | null;
}

export interface InvitationPage {
  rows: InvitationListRow[];
  nextCursor: string | null;
  now: Date;
}

export interface ListOptions {
  search?: string;
  status?: ListStatus;
  limit?: number;
  cursor?: string;
}

const escapeLike = (value: string) => value.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Reads invitations of one organisation; every query walks invitations_org_created_idx. */
@Injectable()
export class InvitationsQueryService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  /**
   * Newest first, keyset-paginated on (created_at, id): no OFFSET and no count, so a deep page
   * costs what the first one does, and rows inserted meanwhile never shift a page.
   */
  async list(organisationId: string, options: ListOptions): Promise<InvitationPage> {
    const now = this.clock.now();
    const limit = options.limit ?? 20;
    const params: unknown[] = [organisationId];
    const where = ['organisation_id = $1'];
    const param = (value: unknown) => `$${params.push(value)}`;

    switch (options.status) {
      case 'pending':
        where.push(`status = 'pending' AND (expires_at IS NULL OR expires_at > ${param(now)})`);
        break;
      case 'expired':
        where.push(`(status = 'expired' OR (status = 'pending' AND expires_at <= ${param(now)}))`);
        break;
      case 'accepted':
      case 'revoked':
        where.push(`status = ${param(options.status)}`);
        break;
      case undefined:
        break;
    }
    if (options.search) {
      where.push(`email LIKE ${param(`%${escapeLike(options.search.toLowerCase())}%`)}`);
    }
    if (options.cursor) {
      const cursor = decodeCursor(options.cursor);
      where.push(
        `(created_at, id) < (${param(cursor.createdAt)}::timestamptz, ${param(cursor.id)}::uuid)`,
      );
    }

    const rows = await this.dataSource.query<InvitationListRow[]>(
      `SELECT id, email, status, user_id, created_at, created_at::text AS created_key, expires_at,
              delivery_status, last_sent_at, invited_by, accepted_at
         FROM invitations
        WHERE ${where.join(' AND ')}
        ORDER BY created_at DESC, id DESC
        LIMIT ${param(limit + 1)}`,
      params,
    );
    const hasMore = rows.length > limit;
    const page = hasMore ? rows.slice(0, limit) : rows;
    const last = page[page.length - 1];
    return {
      rows: page,
      nextCursor:
        hasMore && last ? encodeCursor({ createdAt: last.created_key, id: last.id }) : null,
      now,
    };
  }
}
