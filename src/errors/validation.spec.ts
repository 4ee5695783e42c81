import 'reflect-metadata';
import { IsInt, Min } from 'class-validator';
import { ProblemException } from './problem.js';
import { AppValidationPipe } from './validation.js';

class Sample {
  @IsInt()
  @Min(1)
  count!: number;
}

describe('AppValidationPipe', () => {
  const pipe = new AppValidationPipe();

  it('hands a custom decorator its value back as it is', async () => {
    const principal = { userId: 'u', organisationId: 'o' };
    const answer: unknown = await pipe.transform(principal, { type: 'custom', metatype: Object });
    expect(answer).toBe(principal);
  });

  it('still converts primitive query parameters', async () => {
    expect(await pipe.transform('5', { type: 'query', metatype: Number, data: 'limit' })).toBe(5);
  });

  it('validates a body into its class, and refuses one that is not an object', async () => {
    await expect(
      pipe.transform({ count: 2 }, { type: 'body', metatype: Sample }),
    ).resolves.toBeInstanceOf(Sample);
    await expect(pipe.transform([], { type: 'body', metatype: Sample })).rejects.toBeInstanceOf(
      ProblemException,
    );
    await expect(
      pipe.transform({ count: 0, extra: 1 }, { type: 'body', metatype: Sample }),
    ).rejects.toMatchObject({
      problem: {
        errors: [
          { path: 'extra', message: 'extra is not an allowed property' },
          { path: 'count', message: 'count must not be less than 1' },
        ],
      },
    });
  });
});
