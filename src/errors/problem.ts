import { HttpException } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';

/** One field-level problem: `path` names the field and index, e.g. `emails[3]`. */
export interface FieldError {
  path: string;
  message: string;
}

/** RFC 9457 problem details: the one error body of this service. */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  requestId?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

/** Problem types this service defines; everything else is `about:blank` with the status title. */
export const PROBLEM_TYPES = {
  validation: 'urn:brms:problem:validation-error',
  alreadyMembers: 'urn:brms:problem:already-members',
  unauthorized: 'urn:brms:problem:unauthorized',
  forbidden: 'urn:brms:problem:forbidden',
  unavailable: 'urn:brms:problem:service-unavailable',
} as const;

export interface ProblemInit {
  detail: string;
  type?: string;
  title?: string;
  errors?: FieldError[];
  /** Response headers that belong to the problem (WWW-Authenticate, Retry-After). */
  headers?: Record<string, string>;
  /** Extra members of the body, e.g. the conflicting emails. */
  extensions?: Record<string, unknown>;
}

/** Throw this (or any Nest HttpException) for a client-visible error; the filter renders it. */
export class ProblemException extends HttpException {
  readonly problem: ProblemInit;

  constructor(status: number, problem: ProblemInit) {
    super(problem.detail, status);
    this.problem = problem;
  }
}

export function statusTitle(status: number): string {
  return STATUS_CODES[status] ?? 'Error';
}
