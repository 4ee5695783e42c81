import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { ProblemException } from '../errors/problem.js';
import { DEFAULT_PER_PAGE, type ListInvitationsQueryDto } from './dto/invitation-list.dto.js';
import { InvitationListRepository, type InvitationListRow } from './invitation-list.repository.js';

/** A page of listInvitations and where it lies in the whole list (GoRules' `paginate`). */
export interface InvitationPage {
  rows: InvitationListRow[];
  paginate: { current: number; from: number; to: number; total: number; pageSize: number };
  nextCursor: string | null;
}

/** Reads invitations of one organisation; every query walks invitations_org_created_idx. */
@Injectable()
export class InvitationsQueryService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly invitations: InvitationListRepository,
  ) {}

  /**
   * Newest first, by page number (`page`, `perPage`) or, for deep pages, after a keyset `cursor`
   * (then `page` is derived, and giving it too is refused: the two could disagree).
   */
  async list(organisationId: string, query: ListInvitationsQueryDto): Promise<InvitationPage> {
    if (query.cursor !== undefined && query.page !== undefined) {
      throw new ProblemException(400, {
        detail: 'page and cursor cannot be combined',
        errors: [{ path: 'page', message: 'must be left out when cursor is given' }],
      });
    }
    const perPage = query.perPage ?? DEFAULT_PER_PAGE;
    const page = query.page ?? 1;
    const list = await this.invitations.list(this.dataSource.manager, organisationId, {
      status: query.status,
      search: query.search,
      limit: perPage,
      cursor: query.cursor,
      offset: query.cursor === undefined ? (page - 1) * perPage : undefined,
    });
    const count = list.rows.length;
    return {
      rows: list.rows,
      paginate: {
        current: Math.floor(list.before / perPage) + 1,
        from: count > 0 ? list.before + 1 : 0,
        to: count > 0 ? list.before + count : 0,
        total: list.total,
        pageSize: perPage,
      },
      nextCursor: list.nextCursor,
    };
  }
}
