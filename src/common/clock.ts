/**
 * The time source of everything that stores or compares timestamps. Tests replace it
 * (`overrideProvider(Clock)`) to move time without sleeping.
 */
export abstract class Clock {
  abstract now(): Date;
}

export class SystemClock extends Clock {
  now(): Date {
    return new Date();
  }
}
