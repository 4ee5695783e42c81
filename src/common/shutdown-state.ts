import { Injectable } from '@nestjs/common';

/**
 * Whether the process has started shutting down. main.ts calls `begin()` on SIGTERM/SIGINT, before
 * the mail worker drains and while HTTP still serves, so readiness turns 503 at once and a load
 * balancer stops sending requests that the closing listener would refuse later. (Terminus marks
 * its checks `shutting_down` only later, after the modules' destroy hooks, the worker's drain
 * among them.)
 */
@Injectable()
export class ShutdownState {
  private startedAt: Date | undefined;

  begin(): void {
    this.startedAt ??= new Date();
  }

  /** When the shutdown started, or undefined while the process serves normally. */
  get since(): Date | undefined {
    return this.startedAt;
  }
}
