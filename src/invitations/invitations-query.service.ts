import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { Clock } from '../common/clock.js';
import type { PageRequest } from '../common/keyset-page.js';
import type { ListStatus } from './dto/invitation-list.dto.js';
import { InvitationsRepository, type InvitationRow } from './invitations.repository.js';

export interface InvitationPage {
  rows: InvitationRow[];
  nextCursor: string | null;
  now: Date;
}

export interface ListOptions extends PageRequest {
  search?: string;
  status?: ListStatus;
}

/** Reads invitations of one organisation; every query walks invitations_org_created_idx. */
@Injectable()
export class InvitationsQueryService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly invitations: InvitationsRepository,
    private readonly clock: Clock,
  ) {}

  /** Newest first, a page at a time (see KeysetPage). */
  async list(organisationId: string, options: ListOptions): Promise<InvitationPage> {
    const now = this.clock.now();
    const page = await this.invitations.page(this.dataSource.manager, organisationId, options, now);
    return { ...page, now };
  }
}
